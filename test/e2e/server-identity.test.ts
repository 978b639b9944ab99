import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Issued } from '@fsso/common';
import { BIN } from '../support/paths';
import { runCommand, startAgent, startCollector, tempDir, type CollectorHandle } from '../support/processes';
import { handMadeCertificate, testPki } from '../support/pki';

/** A real collector process serving `cert` instead of a collector certificate. */
async function impostor(
  t: { after: (fn: () => unknown) => void },
  dir: string,
  cert: Issued,
): Promise<CollectorHandle> {
  const c = await startCollector(dir, { config: { tls: { ca: testPki().ca, cert: cert.cert, key: cert.key } } });
  t.after(() => c.daemon.stop());
  return c;
}

test('clients accept only a collector: a firewall-role or EKU-less server certificate is refused with the reason', async (t) => {
  const dir = tempDir('server-identity');
  t.after(dir.cleanup);
  const pki = testPki();
  const cases = [
    {
      what: 'a firewall-role certificate with serverAuth',
      cert: handMadeCertificate(
        dir.path,
        'fw-server',
        'extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=URI:urn:fsso:role:firewall,IP:127.0.0.1',
      ),
      says: /the server's certificate \(fw-server\) has role firewall, not collector: it is not a collector; point --collector at the collector or reissue its certificate with 'fssoctl pki issue --role collector'/,
      agentSays:
        /has role firewall, not collector: it is not a collector; point collectors\[0\]\.address at the collector/,
    },
    {
      what: 'a collector-role certificate without any extended key usage',
      cert: handMadeCertificate(dir.path, 'no-eku', 'subjectAltName=URI:urn:fsso:role:collector,IP:127.0.0.1'),
      says: /the server's certificate \(no-eku\) has no extended key usage, so it is not marked serverAuth: it is not a collector certificate; point --collector at the collector/,
      agentSays: /has no extended key usage, so it is not marked serverAuth/,
    },
  ];

  for (const c of cases) {
    await t.test(`${c.what}: fsso-fw table, fssoctl stats and the DC agent refuse it`, async (t) => {
      const sub = join(dir.path, c.cert.cert.replace(/^.*\/|\.pem$/g, ''));
      mkdirSync(sub, { recursive: true });
      const fake = await impostor(t, sub, c.cert);

      const table = await runCommand(BIN.fw, ['table', '--json', '--timeout', '3s', ...fake.args('firewall')]);
      assert.equal(table.code, 1, `fsso-fw table must fail; stdout: ${table.stdout}`);
      assert.equal(table.stdout, '', 'no table shown');
      assert.match(table.stderr, c.says);
      assert.match(
        table.stderr,
        /^fsso-fw: no table from the collector at 127\.0\.0\.1:\d+ within 3000 ms \(the server's certificate .*\) \[FSSO_PEER_UNAVAILABLE\]\n$/,
        'one sentence, no stack trace',
      );

      const stats = await runCommand(BIN.ctl, ['stats', '--json', ...fake.args('admin')]);
      assert.equal(stats.code, 1, stats.stdout);
      assert.match(stats.stderr, c.says);
      assert.match(
        stats.stderr,
        /^fssoctl: refusing the server at 127\.0\.0\.1:\d+: the server's certificate .* \[FSSO_PEER_UNAVAILABLE\]\n$/,
      );

      writeFileSync(join(sub, 'none.jsonl'), '');
      const agent = startAgent(sub, {
        collectors: [{ address: fake.address }],
        sources: [{ format: 'events', path: join(sub, 'none.jsonl'), follow: true }],
      });
      t.after(() => agent.stop());
      const line = await agent.waitFor(
        (l) => l.message === 'collector stream lost; reconnecting' && c.agentSays.test(String(l['reason'])),
        20_000,
      );
      assert.equal(line.level, 'warn', 'the operator sees it at the default level');
      // The impostor never saw a hello: the agent did not talk to it.
      assert.ok(!fake.daemon.lines.some((l) => l.message === 'agent connected'), 'no agent connected to the impostor');
    });
  }

  await t.test('the real collector, next to them, is accepted by the same clients', async (t) => {
    const sub = join(dir.path, 'real');
    mkdirSync(sub, { recursive: true });
    const real = await startCollector(sub);
    t.after(() => real.daemon.stop());
    const table = await runCommand(BIN.fw, ['table', '--json', '--timeout', '5s', ...real.args('firewall')]);
    assert.equal(table.code, 0, table.stderr);
    assert.deepEqual(JSON.parse(table.stdout), []);
    assert.equal((await runCommand(BIN.ctl, ['stats', '--json', ...real.args('admin')])).code, 0);
    // With the client certificate a real client presents: without one the collector refuses the
    // session, and tls check says so and exits 1.
    const check = await runCommand(BIN.ctl, [
      'tls',
      'check',
      real.address,
      '--ca',
      pki.ca,
      '--cert',
      pki.admin.cert,
      '--key',
      pki.admin.key,
    ]);
    assert.equal(check.code, 0, check.stdout);
    assert.doesNotMatch(check.stdout, /clients will refuse it/);
  });

  await t.test('fssoctl tls check says the same about an impostor', async (t) => {
    const sub = join(dir.path, 'check');
    mkdirSync(sub, { recursive: true });
    const fake = await impostor(t, sub, cases[0]?.cert as Issued);
    const check = await runCommand(BIN.ctl, ['tls', 'check', fake.address, '--ca', pki.ca]);
    assert.equal(check.code, 1, check.stdout);
    assert.match(check.stdout, /verifies against/);
    assert.match(
      check.stdout,
      /clients will refuse it: the server's certificate \(fw-server\) has role firewall, not collector/,
    );
  });
});
