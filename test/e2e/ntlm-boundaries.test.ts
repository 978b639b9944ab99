import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { BIN } from '../support/paths';
import { runCommand, startCollector, tempDir, writeFirewallConfig } from '../support/processes';
import { testPki } from '../support/pki';
import { authStream, closeAuthClients, startProxy } from '../support/ntlm';

/*
 * The edges of proxy authentication that need no domain: configuration mistakes, who may call
 * ProxyAuthService, a helper that cannot run, and the proxy's first answer. Real processes, real
 * certificates; the Samba-backed exchanges are in ntlm-proxy.test.ts.
 */

const NTLM_TYPE1 = Buffer.from('TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAAAAAAAADw==', 'base64');

function noStack(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
}

test('a wrong ntlm section stops the collector with the field and what is allowed', async (t) => {
  const dir = tempDir('ntlm-cfg');
  t.after(dir.cleanup);
  const pki = testPki();
  const serve = async (ntlm: unknown): Promise<{ code: number | null; stderr: string }> => {
    const path = join(dir.path, 'c.json');
    writeFileSync(
      path,
      JSON.stringify({
        listen: '127.0.0.1:0',
        tls: { ca: pki.ca, cert: pki.collector.cert, key: pki.collector.key },
        dataDir: 'data',
        ntlm,
      }),
    );
    return runCommand(BIN.collector, ['serve', '--config', path]);
  };
  const helpers = await serve({ enabled: true, helpers: 0 });
  assert.notEqual(helpers.code, 0);
  assert.match(helpers.stderr, /ntlm\.helpers: expected a whole number from 1 to 64, got 0/);
  noStack(helpers.stderr);
  const schemes = await serve({ enabled: true, schemes: ['basic'] });
  assert.match(schemes.stderr, /ntlm\.schemes: expected a non-empty list of "ntlm" and "negotiate", got \["basic"\]/);
  const command = await serve({ enabled: true, command: 'ntlm_auth --configfile=x' });
  assert.match(command.stderr, /ntlm\.command: expected a list of non-empty strings, e\.g\. \["ntlm_auth"/);
  const typo = await serve({ enabled: true, helper: 2 });
  assert.match(typo.stderr, /ntlm\.helper: unknown setting; known ones here are enabled, command, helpers/);
});

test('fssoctl pki issue --role proxy needs the domains it may vouch for, and writes them', async (t) => {
  const dir = tempDir('ntlm-pki');
  t.after(dir.cleanup);
  const pkiDir = join(dir.path, 'pki');
  assert.equal((await runCommand(BIN.ctl, ['pki', 'init', '--dir', pkiDir])).code, 0);
  const bare = await runCommand(BIN.ctl, ['pki', 'issue', '--dir', pkiDir, '--role', 'proxy', '--name', 'proxy1']);
  assert.notEqual(bare.code, 0);
  assert.match(bare.stderr, /a proxy certificate names the domains whose users it may vouch for: add --domain CORP/);
  noStack(bare.stderr);
  const ok = await runCommand(BIN.ctl, [
    'pki',
    'issue',
    '--dir',
    pkiDir,
    '--role',
    'proxy',
    '--name',
    'proxy1',
    '--domain',
    'CORP',
    '--json',
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  const c = (JSON.parse(ok.stdout) as { certificate: { roles: string[]; domains: string[] } }).certificate;
  assert.deepEqual(c.roles, ['proxy']);
  assert.deepEqual(c.domains, ['CORP']);
});

test('ProxyAuthService: a firewall certificate is refused; a helper that cannot run is named in each verdict', async (t) => {
  const dir = tempDir('ntlm-edge');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path, {
    config: {
      ntlm: { enabled: true, command: [join(dir.path, 'no-such-ntlm_auth')], helpers: 1 },
      limits: { streamsPerCertificate: { auth: 2 } },
    },
  });
  t.after(() => collector.daemon.stop());
  t.after(closeAuthClients);
  const pki = testPki();

  const fw = authStream(collector, pki.firewall);
  await assert.rejects(
    fw.send({ begin: { clientIp: '198.18.7.1', scheme: 'ntlm', token: NTLM_TYPE1 } }),
    (e: grpc.ServiceError) =>
      e.code === grpc.status.PERMISSION_DENIED &&
      /certificate fw1 \(sha256 [0-9a-f]+…\) has role firewall; fsso\.v1\.ProxyAuthService needs proxy/.test(e.details),
  );
  fw.end();
  const refused = await collector.daemon.waitFor((l) => l.message === 'call refused');
  assert.equal(refused['service'], 'fsso.v1.ProxyAuthService');

  await collector.daemon.waitFor((l) => l.message?.startsWith('ntlm helper exits right after its start') === true);
  const edge = pki.issue('proxy', 'proxy-edge', ['CORP']);
  const proxy = authStream(collector, edge);
  const v = await proxy.send({ begin: { clientIp: '198.18.7.2', scheme: 'ntlm', token: NTLM_TYPE1 } });
  assert.equal(v.verdict?.ok, false);
  assert.match(
    v.verdict?.reason ?? '',
    /^no ntlm helper can run \(could not run .*no-such-ntlm_auth: spawn .* ENOENT\); check ntlm\.command/,
  );
  // A scheme the collector does not serve, and a token with no exchange, are refused with the reason.
  const bad = await proxy.send({ begin: { clientIp: 'not-an-ip', scheme: 'ntlm', token: NTLM_TYPE1 } });
  assert.match(bad.verdict?.reason ?? '', /client address "not-an-ip" is not an IP address/);
  const basic = await proxy.send({ begin: { clientIp: '198.18.7.2', scheme: 'basic', token: NTLM_TYPE1 } });
  assert.match(
    basic.verdict?.reason ?? '',
    /scheme "basic" is not served here; the collector verifies ntlm, negotiate/,
  );
  // Exchanges in progress per proxy certificate are bounded (limits.streamsPerCertificate.auth, 2 here).
  const second = authStream(collector, edge);
  await second.send({ begin: { clientIp: '198.18.7.4', scheme: 'ntlm', token: NTLM_TYPE1 } });
  const third = authStream(collector, edge);
  await assert.rejects(
    third.send({ begin: { clientIp: '198.18.7.5', scheme: 'ntlm', token: NTLM_TYPE1 } }),
    (e: grpc.ServiceError) =>
      e.code === grpc.status.RESOURCE_EXHAUSTED &&
      /this certificate already has 2 open auth streams \(limits\.streamsPerCertificate\.auth is 2\)/.test(e.details),
  );
  for (const s of [proxy, second, third]) s.end();

  const stats = await runCommand(BIN.ctl, ['stats', '--json', ...collector.args()]);
  const s = JSON.parse(stats.stdout) as {
    denied: number;
    ntlm: Record<string, number>;
    limitHits: Record<string, number>;
  };
  assert.equal(s.denied, 1);
  assert.equal(s.limitHits['streamsPerCertificate.auth'], 1);
  assert.equal(s.ntlm['helperErrors'], 2);
  assert.equal(s.ntlm['failed'], 4);
  assert.equal(s.ntlm['succeeded'], 0);
  // A proxy certificate reads the table as a firewall does (its known addresses pass unchallenged).
  const cert = pki.issue('proxy', 'proxy-reader', ['CORP']);
  const look = await runCommand(BIN.fw, [
    'lookup',
    '198.18.7.3',
    '--collector',
    collector.address,
    '--ca',
    pki.ca,
    '--cert',
    cert.cert,
    '--key',
    cert.key,
  ]);
  assert.equal(look.code, 3, look.stderr);
});

test('fsso-fw proxy: a missing policy or a bad proxy section is named; an unknown address gets 407 with both schemes', async (t) => {
  const dir = tempDir('ntlm-fw');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path, { config: { ntlm: { enabled: true, command: ['cat'] } } });
  t.after(() => collector.daemon.stop());
  const cfg = (extra: Record<string, unknown>): string =>
    writeFirewallConfig(join(dir.path, `fw-${Math.random().toString(36).slice(2)}.json`), [collector.address], extra);
  const noPolicy = await runCommand(BIN.fw, ['proxy', '--config', cfg({})]);
  assert.equal(noPolicy.code, 2, noPolicy.stderr);
  assert.match(noPolicy.stderr, /proxy needs a policy: "policy" in the --config file/);
  noStack(noPolicy.stderr);
  const policy = { rules: [{ action: 'allow', groups: ['CORP\\VPN-Users'] }] };
  const schemes = await runCommand(BIN.fw, ['proxy', '--config', cfg({ policy, proxy: { schemes: ['basic'] } })]);
  assert.match(schemes.stderr, /proxy\.schemes: expected a non-empty list of "negotiate" and "ntlm", got \["basic"\]/);
  noStack(schemes.stderr);

  const proxy = await startProxy(dir.path, collector, '127.0.0.1', policy);
  t.after(() => proxy.daemon.stop());
  const [host, port] = proxy.address.split(':');
  const res = await new Promise<{ status: number; auth: string[]; connection: string }>((resolve, reject) => {
    const req = request(
      { host, port: Number(port), path: 'http://127.0.0.1:9/x', headers: { host: '127.0.0.1:9' } },
      (r) => {
        r.resume();
        // One header line per scheme, as browsers expect them (rawHeaders: Node joins repeated ones).
        const auth = r.rawHeaders.filter(
          (_, i) => i % 2 === 1 && r.rawHeaders[i - 1]?.toLowerCase() === 'proxy-authenticate',
        );
        resolve({ status: r.statusCode ?? 0, auth, connection: String(r.headers['connection']) });
      },
    );
    req.on('error', reject);
    req.end();
  });
  assert.equal(res.status, 407);
  assert.deepEqual(res.auth, ['Negotiate', 'NTLM']);
  assert.equal(res.connection, 'keep-alive', 'the connection stays open for the exchange');
});
