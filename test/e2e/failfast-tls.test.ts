import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { initCa, issueCert } from '@fsso/common';
import { BIN } from '../support/paths';
import { runCommand, startCollector, tempDir } from '../support/processes';
import { testPki } from '../support/pki';

/*
 * TLS-level failures are told apart from "is it running?": each client (fssoctl, fsso-fw) meets
 * a real collector it cannot use and says which mistake it is, in one line, with the fix; the
 * legitimate call beside it works.
 */

test('another CA, a refused client certificate, TLS against plaintext, plaintext against TLS, nothing listening: five different sentences', async (t) => {
  const dir = tempDir('ff-tls');
  t.after(dir.cleanup);
  const pki = testPki();
  const tlsCollector = await startCollector(join(dir.path), { config: { dataDir: 'tls-data' } });
  t.after(() => tlsCollector.daemon.stop());
  const plainDir = tempDir('ff-tls-plain');
  t.after(plainDir.cleanup);
  const plain = await startCollector(plainDir.path, { config: { insecure: true } });
  t.after(() => plain.daemon.stop());
  // A second CA with its own collector and admin: the "other CA" on either side.
  const otherDir = tempDir('ff-tls-other');
  t.after(otherDir.cleanup);
  const otherCa = initCa(join(otherDir.path, 'pki'), 'Another CA');
  const otherCollector = issueCert(otherCa, { role: 'collector', name: 'localhost', ips: ['127.0.0.1'] });
  const otherAdmin = issueCert(otherCa, { role: 'admin', name: 'intruder' });
  const other = await startCollector(otherDir.path, {
    config: { tls: { ca: otherCa.cert, cert: otherCollector.cert, key: otherCollector.key } },
  });
  t.after(() => other.daemon.stop());

  const ours = ['--ca', pki.ca, '--cert', pki.admin.cert, '--key', pki.admin.key];
  const ok = await runCommand(BIN.ctl, ['stats', '--json', '--collector', tlsCollector.address, ...ours]);
  assert.equal(ok.code, 0, `the legitimate call works: ${ok.stderr}`);

  const cases: [string, string[], RegExp][] = [
    [
      'server from another CA',
      ['stats', '--collector', other.address, ...ours],
      /certificate is not from the CA in --ca|signed by another CA/,
    ],
    [
      'our certificate from another CA',
      [
        'stats',
        '--collector',
        tlsCollector.address,
        '--ca',
        pki.ca,
        '--cert',
        otherAdmin.cert,
        '--key',
        otherAdmin.key,
      ],
      /refused our certificate .*intruder.*pem.*use a certificate issued from the collector's CA/,
    ],
    ['TLS against plaintext', ['stats', '--collector', plain.address, ...ours], /does not speak TLS .*pass --insecure/],
    [
      'plaintext against TLS',
      ['stats', '--collector', tlsCollector.address, '--insecure'],
      /expects TLS, and this client speaks plaintext \(--insecure\): drop --insecure/,
    ],
    [
      'nothing listening',
      ['stats', '--collector', '127.0.0.1:1', ...ours],
      /ECONNREFUSED|connection refused.*is (it|the collector) running/,
    ],
  ];
  const seen = new Set<string>();
  for (const [what, args, expected] of cases) {
    const r = await runCommand(BIN.ctl, args);
    assert.equal(r.code, 1, `${what}: exit 1`);
    const lines = r.stderr.split('\n').filter((l) => l && !l.startsWith('warning: plaintext'));
    assert.equal(lines.length, 1, `${what}: one line: ${r.stderr}`);
    assert.match(lines[0] ?? '', expected, what);
    assert.match(lines[0] ?? '', /\[FSSO_PEER_UNAVAILABLE\]$/);
    assert.doesNotMatch(
      lines[0] ?? '',
      /ssl3_get_record|deps\/openssl|Failed to connect/,
      `${what}: no OpenSSL dump or transport noise`,
    );
    seen.add(lines[0] ?? '');
  }
  assert.equal(seen.size, cases.length, 'every case reads differently');

  // fsso-fw the same way, through its replica.
  const fw = await runCommand(BIN.fw, [
    'table',
    '--timeout',
    '5s',
    '--collector',
    plain.address,
    '--ca',
    pki.ca,
    '--cert',
    pki.firewall.cert,
    '--key',
    pki.firewall.key,
  ]);
  assert.equal(fw.code, 1);
  assert.match(fw.stderr, /^fsso-fw: the server at .* does not speak TLS/);
});

test('fsso-fw with an agent certificate is refused at once, in one line naming the role and the fix', async (t) => {
  const dir = tempDir('ff-fw-role');
  t.after(dir.cleanup);
  const pki = testPki();
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());
  const asAgent = ['--collector', collector.address, '--ca', pki.ca, '--cert', pki.agent.cert, '--key', pki.agent.key];
  // A 60 s timeout the refusal must not wait for (the test's own bound would fail first).
  const table = await runCommand(BIN.fw, ['table', '--timeout', '60s', ...asAgent]);
  assert.equal(table.code, 1);
  assert.match(
    table.stderr,
    /^fsso-fw: the collector at .* refused the table: certificate dc1 .* has role agent; .* use a firewall \(or admin\) certificate .*\[FSSO_PERMISSION_DENIED\]\n$/,
  );
  const ask = await runCommand(BIN.fw, ['lookup', '198.18.0.1', '--ask', ...asAgent]);
  assert.equal(ask.code, 1);
  assert.match(ask.stderr, /refused: .*has role agent.*\[FSSO_PERMISSION_DENIED\]\n$/);
  assert.doesNotMatch(table.stderr + ask.stderr, /^\s+at /m);
  const fw = await runCommand(BIN.fw, ['table', ...collector.args('firewall')]);
  assert.equal(fw.code, 0, `the firewall certificate still works: ${fw.stderr}`);
});
