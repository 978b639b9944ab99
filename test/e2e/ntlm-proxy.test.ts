import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { BIN } from '../support/paths';
import { runCommand, startCollector, tempDir, type CollectorHandle } from '../support/processes';
import { adminClient, getStats, until } from '../support/grpc';
import { testPki } from '../support/pki';
import { pickClientIps, sambaAvailable, startSambaDc, type SambaDc } from '../support/samba';
import { authStream, closeAuthClients, curlFrom, NtlmClient, startOrigin, startProxy } from '../support/ntlm';
import { negotiateSetup } from '../support/ntlm-kerberos';
import { joinMember } from '../support/ntlm-member';
import { run } from '../support/samba/exec';

interface Row {
  ip: string;
  user: string;
  domain: string;
  groups: string[];
  source: string;
}

/**
 * NTLM and Negotiate through the collector, against the real Samba AD DC: `fsso-fw proxy`
 * challenges an unknown address, the collector verifies the tokens with Samba's ntlm_auth and
 * records the user, and the policy decides. The helper verifies as a domain member does: the
 * collector host is a member joined with `net ads join`, its winbindd running in a network
 * namespace of its own (ntlm_auth runs in that host's namespaces, with its smb.conf).
 */
test('NTLM and Negotiate through fsso-fw proxy and the collector', { timeout: 240_000 }, async (t) => {
  const available = sambaAvailable();
  if (!available.ok) {
    t.skip(`Samba AD DC not installed: ${available.reason}; install the Debian packages listed in .ci/run`);
    return;
  }
  // The member host and the browsers: winbind (ntlm_auth, winbindd), samba-common-bin (net), curl.
  const missing = ['ntlm_auth', 'winbindd', 'net', 'curl'].filter(
    (c) => spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status !== 0,
  );
  if (missing.length > 0) {
    t.skip(`missing commands: ${missing.join(', ')}; install the Debian packages winbind and curl`);
    return;
  }
  // A to F are browsers; G is the collector host, joined to the domain in a namespace of its own.
  const ips = await pickClientIps(7);
  const [ipA, ipB, ipC, ipD, ipE, ipF, ipG] = ips as [string, string, string, string, string, string, string];
  const dc: SambaDc = await startSambaDc({ clientIps: ips });
  t.after(() => dc.stop());
  const ns = (ip: string): string => dc.namespaces[ips.indexOf(ip)] ?? '';
  const dir = tempDir('ntlm');
  t.after(dir.cleanup);
  writeFileSync(join(dir.path, 'ldap.pw'), dc.bindPassword, { mode: 0o600 });
  const kerberos = await negotiateSetup(dc, dir.path);
  const member = await joinMember(dc, ns(ipG), ipG, dir.path, kerberos.keytab);
  t.after(() => member.stop());
  const collector: CollectorHandle = await startCollector(dir.path, {
    config: {
      directories: [
        {
          domain: dc.domain,
          url: dc.ldapUrl,
          startTls: true,
          caFile: join(dc.dir, 'private/tls/ca.pem'),
          tlsServerName: `dc1.${dc.dnsDomain}`,
          baseDn: dc.baseDn,
          bindDn: dc.bindDn,
          passwordFile: 'ldap.pw',
          timeout: '2s',
        },
      ],
      ntlm: { enabled: true, command: member.helperCommand, helpers: 2, groupWait: '3s', exchangeTimeout: '3s' },
      metrics: { listen: '127.0.0.1:0' },
    },
  });
  t.after(() => collector.daemon.stop());
  const admin = adminClient(collector);
  t.after(() => admin.close());
  t.after(closeAuthClients);
  const ntlmStats = async (): Promise<Record<string, number>> => (await getStats(admin)).ntlm;
  const origin = await startOrigin(t);
  const policy = { rules: [{ name: 'vpn', action: 'allow', groups: [`${dc.domain}\\VPN-Users`] }], default: 'deny' };
  const proxy = await startProxy(dir.path, collector, dc.gateway, policy, { maxFailures: 3 });
  t.after(() => proxy.daemon.stop());
  const px = ['-x', `http://${proxy.address}`];
  const ntlm = (user: string, password: string): string[] => [
    ...px,
    '--proxy-ntlm',
    '--proxy-user',
    `${dc.domain}\\${user}:${password}`,
  ];
  const table = async (): Promise<Record<string, Row>> => {
    const r = await runCommand(BIN.ctl, ['logons', '--json', ...collector.args()]);
    return Object.fromEntries((JSON.parse(r.stdout) as Row[]).map((x) => [x.ip, x]));
  };

  await t.test(
    'alice with NTLM reaches the origin, and the collector records her there with her nested groups',
    async () => {
      const r = await curlFrom(ns(ipA), [...ntlm('alice', dc.userPassword), origin.url]);
      assert.equal(r.stdout, '200', r.stderr);
      assert.equal(origin.hits.length, 1);
      const row = (await table())[ipA];
      assert.equal(row?.user, 'alice');
      assert.equal(row?.source, 'ntlm');
      assert.deepEqual(row?.groups, [`${dc.domain}\\AllStaff`, `${dc.domain}\\Engineering`, `${dc.domain}\\VPN-Users`]);
      const ok = await collector.daemon.waitFor((l) => l.message === 'proxy authentication succeeded');
      assert.equal(ok['ip'], ipA);
      assert.equal(ok['user'], 'alice');
      assert.equal(ok['proxy'], 'proxy1', "the proxy's certificate identity vouches");
      // Every verdict is logged, never a token: no NTLMSSP message (base64 "TlRMTVNT") in any line.
      assert.ok(!collector.daemon.lines.some((l) => JSON.stringify(l).includes('TlRMTVNT')));
    },
  );

  await t.test('a second request from the same address passes without a challenge', async () => {
    await until(
      'alice in the proxy replica',
      async () => (await curlFrom(ns(ipA), [...px, origin.url])).stdout === '200',
      5000,
      100,
    );
    assert.equal(origin.hits.length, 2);
    const s = await ntlmStats();
    assert.equal(s['succeeded'], 1, 'no second exchange');
  });

  await t.test('a wrong password gets 407, and after proxy.maxFailures (3) failures 403', async () => {
    const first = await curlFrom(ns(ipC), [...ntlm('alice', 'wrong-password'), origin.url]);
    assert.equal(first.stdout, '407');
    const line = await collector.daemon.waitFor((l) => l.message === 'proxy authentication failed' && l['ip'] === ipC);
    assert.match(String(line['reason']), /the domain refused the credentials: NT_STATUS_LOGON_FAILURE/);
    assert.equal((await curlFrom(ns(ipC), [...ntlm('alice', 'wrong-password'), origin.url])).stdout, '407');
    assert.equal((await curlFrom(ns(ipC), [...ntlm('alice', 'wrong-password'), origin.url])).stdout, '403');
    assert.equal((await table())[ipC], undefined, 'nobody is recorded for failed exchanges');
    assert.equal((await ntlmStats())['failed'], 3);
    assert.equal(origin.hits.length, 2);
  });

  await t.test("a user outside the policy's groups gets 403 (and is still known at the address)", async () => {
    const r = await curlFrom(ns(ipB), [...ntlm('bob', dc.userPassword), origin.url]);
    assert.equal(r.stdout, '403');
    assert.equal((await table())[ipB]?.user, 'bob');
    await proxy.daemon.waitFor((l) => l.message === 'request denied by the policy' && l['ip'] === ipB);
    assert.equal(origin.hits.length, 2);
  });

  await t.test('kinit alice, then curl --proxy-negotiate through the proxy by name passes by Kerberos', async (st) => {
    if (!kerberos.ok) return st.skip(kerberos.reason);
    const r = await kerberos.curl(ns(ipE), [
      '-x',
      `http://${kerberos.proxyName}:${proxy.address.split(':')[1]}`,
      '--proxy-negotiate',
      '-U',
      ':',
      origin.url,
    ]);
    assert.equal(r.stdout, '200', r.stderr);
    const row = (await table())[ipE];
    assert.equal(row?.user, 'alice');
    assert.equal(row?.source, 'negotiate');
    const ok = await collector.daemon.waitFor((l) => l.message === 'proxy authentication succeeded' && l['ip'] === ipE);
    assert.equal(ok['mechanism'], 'kerberos', 'SPNEGO carried a Kerberos ticket, not NTLM');
  });

  await t.test(
    'Negotiate without a Kerberos ticket: SPNEGO falls back to NTLM and is verified the same way',
    async () => {
      const client = new NtlmClient('carol', dc.domain, dc.userPassword, true);
      t.after(() => client.stop());
      const s = authStream(collector, testPki().issue('proxy', 'proxy-spnego', ['CORP']));
      const c = await s.send({
        begin: { clientIp: '198.18.200.30', scheme: 'negotiate', token: await client.type1() },
      });
      assert.ok(c.challenge, JSON.stringify(c));
      const v = await s.send({ token: await client.type3(Buffer.from(c.challenge.token)) });
      s.end();
      assert.equal(v.verdict?.ok, true, JSON.stringify(v));
      assert.equal(v.verdict?.user, 'carol');
      const ok = await collector.daemon.waitFor(
        (l) => l.message === 'proxy authentication succeeded' && l['ip'] === '198.18.200.30',
      );
      assert.equal(ok['mechanism'], 'ntlm');
      assert.equal((await table())['198.18.200.30']?.source, 'negotiate');
    },
  );

  await t.test(
    "a replayed type 3 fails, so does one answering another exchange's challenge, and one with no exchange",
    async () => {
      const proxyCert = testPki().issue('proxy', 'proxy-replay', ['CORP']);
      const victim = '198.18.200.10';
      const client = new NtlmClient('carol', dc.domain, dc.userPassword);
      t.after(() => client.stop());
      const s1 = authStream(collector, proxyCert);
      const c1 = await s1.send({ begin: { clientIp: victim, scheme: 'ntlm', token: await client.type1() } });
      assert.ok(c1.challenge, JSON.stringify(c1));
      const answer = await client.type3(Buffer.from(c1.challenge.token));
      const v1 = await s1.send({ token: answer });
      assert.equal(v1.verdict?.ok, true, JSON.stringify(v1));
      s1.end();
      // The same type 3 on a new exchange: refused as a replay.
      const s2 = authStream(collector, proxyCert);
      const c2 = await s2.send({ begin: { clientIp: '198.18.200.11', scheme: 'ntlm', token: await client.type1() } });
      assert.ok(c2.challenge);
      const v2 = await s2.send({ token: answer });
      assert.equal(v2.verdict?.ok, false);
      assert.match(v2.verdict?.reason ?? '', /^replayed answer/);
      // A fresh type 3 computed for exchange X, sent on exchange Y: Y's challenge differs, the domain refuses.
      const other = new NtlmClient('carol', dc.domain, dc.userPassword);
      t.after(() => other.stop());
      const sx = authStream(collector, proxyCert);
      const sy = authStream(collector, proxyCert);
      const cx = await sx.send({ begin: { clientIp: '198.18.200.12', scheme: 'ntlm', token: await other.type1() } });
      await sy.send({ begin: { clientIp: '198.18.200.12', scheme: 'ntlm', token: await client.type1() } });
      const vy = await sy.send({ token: await other.type3(Buffer.from(cx.challenge?.token ?? [])) });
      assert.equal(vy.verdict?.ok, false);
      assert.match(vy.verdict?.reason ?? '', /the domain refused the credentials/);
      sx.end(); // X's exchange ends with its connection, unanswered
      sy.end();
      // A challenge expires with its exchange (ntlm.exchangeTimeout, 3 s here): its answer then finds no exchange.
      const late = new NtlmClient('carol', dc.domain, dc.userPassword);
      t.after(() => late.stop());
      const sl = authStream(collector, proxyCert);
      const cl = await sl.send({ begin: { clientIp: '198.18.200.13', scheme: 'ntlm', token: await late.type1() } });
      const lateAnswer = await late.type3(Buffer.from(cl.challenge?.token ?? []));
      const expired = await sl.next();
      assert.match(expired.verdict?.reason ?? '', /took over 3000 ms \(ntlm\.exchangeTimeout\); its challenge is void/);
      const vl = await sl.send({ token: lateAnswer });
      assert.match(vl.verdict?.reason ?? '', /no exchange in progress/);
      sl.end();
      assert.equal((await table())['198.18.200.13'], undefined);
      // A type 3 with no exchange in progress (its challenge is gone).
      const sz = authStream(collector, proxyCert);
      const vz = await sz.send({ token: await client.type3(Buffer.from(c1.challenge.token)) });
      assert.match(vz.verdict?.reason ?? '', /no exchange in progress/);
      for (const s of [s2, sz]) s.end();
      assert.equal((await table())['198.18.200.11'], undefined);
      assert.equal((await table())['198.18.200.12'], undefined);
      assert.equal((await ntlmStats())['replayed'], 1);
      assert.equal((await ntlmStats())['expired'], 1);
    },
  );

  await t.test('only a proxy certificate may authenticate, and only for the domains it names', async () => {
    const fw = testPki().firewall;
    const s = authStream(collector, fw);
    await assert.rejects(
      s.send({ begin: { clientIp: '198.18.200.20', scheme: 'ntlm', token: Buffer.from('x') } }),
      (e: grpc.ServiceError) =>
        e.code === grpc.status.PERMISSION_DENIED &&
        /has role firewall; fsso.v1.ProxyAuthService needs proxy/.test(e.details),
    );
    s.end();
    const sales = authStream(collector, testPki().issue('proxy', 'proxy-sales', ['SALES']));
    const client = new NtlmClient('alice', dc.domain, dc.userPassword);
    t.after(() => client.stop());
    const c = await sales.send({ begin: { clientIp: '198.18.200.21', scheme: 'ntlm', token: await client.type1() } });
    const v = await sales.send({ token: await client.type3(Buffer.from(c.challenge?.token ?? [])) });
    sales.end();
    assert.equal(v.verdict?.ok, false);
    assert.match(v.verdict?.reason ?? '', /may vouch for SALES, not CORP/);
    assert.equal((await table())['198.18.200.21'], undefined);
    assert.equal((await ntlmStats())['outOfAuthority'], 1);
  });

  await t.test(
    'CONNECT: the NTLM exchange runs on the tunnel request, then the tunnel reaches the origin',
    async () => {
      const hits = origin.hits.length;
      const r = await curlFrom(ns(ipF), [...ntlm('carol', dc.userPassword), '--proxytunnel', origin.url]);
      assert.equal(r.stdout, '200', r.stderr);
      assert.equal(origin.hits.length, hits + 1);
      assert.equal((await table())[ipF]?.user, 'carol');
    },
  );

  await t.test(
    'a helper killed mid-exchange fails that exchange, is replaced, and the next exchange succeeds',
    async () => {
      // An exchange holds one helper between its challenge and the answer: kill them all right then.
      const client = new NtlmClient('carol', dc.domain, dc.userPassword);
      t.after(() => client.stop());
      const s = authStream(collector, testPki().issue('proxy', 'proxy-kill', ['CORP']));
      const c = await s.send({ begin: { clientIp: '198.18.200.40', scheme: 'ntlm', token: await client.type1() } });
      const children = (await run('pgrep', ['-P', String(collector.daemon.pid)])).stdout.split('\n').filter(Boolean);
      assert.ok(children.length >= 2, `helpers: ${children.join(' ')}`);
      for (const pid of children) process.kill(Number(pid), 'SIGKILL');
      await collector.daemon.waitFor((l) => l.message === 'ntlm helper exited; starting a new one');
      const v = await s.send({ token: await client.type3(Buffer.from(c.challenge?.token ?? [])) });
      s.end();
      assert.equal(v.verdict?.ok, false);
      assert.match(
        v.verdict?.reason ?? '',
        /^the verifying helper failed \(helper (is not running|killed by SIGKILL)\); retry/,
      );
      await until(
        'the helpers replaced',
        async () => ((await ntlmStats())['helperRestarts'] ?? 0) >= children.length,
        10_000,
        100,
      );
      const r = await curlFrom(ns(ipD), [...ntlm('carol', dc.userPassword), origin.url]);
      assert.equal(r.stdout, '200', r.stderr);
      assert.equal((await table())[ipD]?.user, 'carol');
    },
  );

  await t.test(
    'throughput: exchanges per second through one collector with 2 helpers (reported, not asserted)',
    async () => {
      const cert = testPki().issue('proxy', 'proxy-bench', ['CORP']);
      // Clients first: their start is the browser's business, not the collector's.
      const n = 40;
      const seq = 10;
      const clients = Array.from({ length: n + seq + 1 }, () => new NtlmClient('alice', dc.domain, dc.userPassword));
      t.after(() => clients.forEach((c) => c.stop()));
      const one = async (i: number): Promise<number> => {
        const c = clients[i] as NtlmClient;
        const type1 = await c.type1();
        const s = authStream(collector, cert);
        try {
          const started = performance.now();
          const ch = await s.send({ begin: { clientIp: `198.18.201.${(i % 250) + 1}`, scheme: 'ntlm', token: type1 } });
          const type3 = await c.type3(Buffer.from(ch.challenge?.token ?? []));
          const v = await s.send({ token: type3 });
          assert.equal(v.verdict?.ok, true, JSON.stringify(v));
          return performance.now() - started;
        } finally {
          s.end();
        }
      };
      await one(0); // the channel's TLS handshake
      const single: number[] = [];
      for (let i = 1; i <= seq; i++) single.push(await one(i));
      const started = performance.now();
      const lat = await Promise.all(Array.from({ length: n }, (_, i) => one(seq + 1 + i)));
      const secs = (performance.now() - started) / 1000;
      const median = (xs: number[]): string => (xs.sort((a, b) => a - b)[xs.length >> 1] ?? 0).toFixed(1);
      t.diagnostic(
        `one NTLM exchange (type 1 to verdict, sequential): median ${median(single)} ms; ${n} at once through 2 helpers: ${(n / secs).toFixed(1)} exchanges/s, median ${median(lat)} ms`,
      );
    },
  );

  await t.test('Prometheus counts the same exchanges as fssoctl stats', async () => {
    const line = await collector.daemon.waitFor((l) => l.message === 'metrics listening');
    const text = await (await fetch(`http://${String(line['address'])}/metrics`)).text();
    const stats = await ntlmStats();
    for (const counter of ['succeeded', 'failed', 'replayed', 'helperRestarts']) {
      const m = new RegExp(`^fsso_collector_proxy_auth_total\\{counter="${counter}"\\} (\\d+)$`, 'm').exec(text);
      assert.ok(m, `${counter} in the scrape`);
      assert.equal(Number(m[1]), stats[counter], counter);
    }
    assert.ok((stats['succeeded'] ?? 0) > 50, 'the exchanges of this run');
  });
});
