import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../support/paths';
import {
  runCommand,
  startAgent,
  startCollector,
  startProcess,
  startWatch,
  tempDir,
  type Daemon,
} from '../support/processes';
import { until } from '../support/grpc';
import { pickClientIps, sambaAvailable, startSambaDc } from '../support/samba';
import { run } from '../support/samba/exec';
import { netnsUnavailable, TestNetns } from '../support/netns';

interface Row {
  ip: string;
  user: string;
  domain: string;
  workstation: string;
  groups: string[];
  groupDns: string[];
  groupsStale: boolean;
}

/**
 * The product against a real Samba AD DC: real logons from client namespaces reach a running
 * collector through a DC agent following Samba's audit log; groups come from the DC's LDAP,
 * nested ones included; a roaming user moves in the firewall's replica; a group change shows
 * after the cache TTL; and with the directory gone, groups stay, marked stale.
 */
test('real Samba DC: logons, roaming and LDAP groups reach the firewall', { timeout: 300_000 }, async (t) => {
  const available = sambaAvailable();
  if (!available.ok) {
    t.skip(`Samba AD DC not installed: ${available.reason}; install the Debian packages listed in .ci/run`);
    return;
  }
  const [ipA, ipB, ipC, ipD] = (await pickClientIps(4)) as [string, string, string, string];
  const dc = await startSambaDc({ clientIps: [ipA, ipB, ipC, ipD] });
  let dcStopped = false;
  t.after(async () => {
    if (!dcStopped) await dc.stop();
  });
  const dir = tempDir('samba-collector');
  t.after(dir.cleanup);
  writeFileSync(join(dir.path, 'ldap.pw'), dc.bindPassword, { mode: 0o600 });
  const collector = await startCollector(dir.path, {
    config: {
      // StartTLS on the plain port, verified against the DC's CA: a simple bind over plain ldap:// is refused.
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
      groups: { ttl: '2s' },
    },
  });
  t.after(() => collector.daemon.stop());
  const conn = collector.args();
  const watch = await startWatch(t, collector);
  const agent = startAgent(dir.path, {
    domains: [dc.domain],
    collectors: [{ name: 'main', address: collector.address }],
    sources: [{ name: 'samba', format: 'samba-audit', path: dc.auditLog, follow: true, pollInterval: '100ms' }],
    filters: { coalesceWindow: '0s' },
  });
  t.after(() => agent.stop());

  const table = async (): Promise<Record<string, Row>> => {
    const r = await runCommand(BIN.ctl, ['logons', '--json', ...conn]);
    return Object.fromEntries((JSON.parse(r.stdout) as Row[]).map((x) => [x.ip, x]));
  };
  const users = (rows: Record<string, Row>): Record<string, string> =>
    Object.fromEntries(Object.entries(rows).map(([ip, r]) => [ip, r.user]));

  await t.test('real logons reach the collector: exactly those users at exactly those addresses', async () => {
    await dc.logon('alice', ipA, 'krb5');
    await dc.logon('bob', ipB, 'ntlm', 'WKS-BOB');
    await dc.logon('carol', ipC, 'ldap');
    await dc.logon(`${dc.computer}$`, ipD, 'krb5');
    const want = { [ipA]: 'alice', [ipB]: 'bob', [ipC]: 'carol' };
    let rows: Record<string, Row> = {};
    await until(
      'the three users in the collector',
      async () =>
        JSON.stringify(users((rows = await table()))) ===
        JSON.stringify(Object.fromEntries(Object.entries(want).sort())),
      30_000,
      250,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; table: ${JSON.stringify(users(rows))}`);
    });
    assert.equal(rows[ipB]?.workstation, 'WKS-BOB', "bob's NTLM workstation name");
    assert.equal(rows[ipA]?.domain, dc.domain);
  });

  await t.test('groups come from LDAP, nested membership included', async () => {
    let groups: string[] = [];
    await until("alice's groups", async () => (groups = (await table())[ipA]?.groups ?? []).length > 0, 15_000, 200);
    assert.deepEqual(groups, [`${dc.domain}\\AllStaff`, `${dc.domain}\\Engineering`, `${dc.domain}\\VPN-Users`]);
    const check = await runCommand(BIN.fw, ['check', ipA, '--group', `${dc.domain}\\VPN-Users`, ...conn]);
    assert.equal(check.code, 0, check.stdout);
    assert.match(check.stdout, /^ALLOW/);
    const deny = await runCommand(BIN.fw, ['check', ipB, '--group', 'VPN-Users', ...conn]);
    assert.equal(deny.code, 1, 'bob (Sales) is not in VPN-Users');
  });

  await t.test(
    "a DN rule matches only that DN: alice's Engineering (CN=Users) passes, an Engineering in another OU does not",
    async () => {
      const mine = `CN=Engineering,CN=Users,${dc.baseDn}`;
      const row = (await table())[ipA];
      assert.equal(
        row?.groupDns[row.groups.indexOf(`${dc.domain}\\Engineering`)]?.toLowerCase(),
        mine.toLowerCase(),
        'the DN from LDAP reaches fssoctl',
      );
      const exact = await runCommand(BIN.fw, ['check', ipA, '--group', mine, ...conn]);
      assert.equal(exact.code, 0, exact.stdout);
      assert.match(exact.stdout, new RegExp(`^ALLOW .*member of ${dc.domain}\\\\Engineering`));
      const other = await runCommand(BIN.fw, [
        'check',
        ipA,
        '--group',
        `CN=Engineering,OU=Contractors,${dc.baseDn}`,
        ...conn,
      ]);
      assert.equal(other.code, 1, other.stdout);
      assert.match(other.stdout, /^DENY .*in none of the allowed groups/);
    },
  );

  // nft-sync on a FirewallClient, group sets from the DC's groups, in a namespace of its own.
  const noNft = netnsUnavailable(['nft']);
  let nft: { ns: TestNetns; sync: Daemon } | undefined;
  const sets = (): { vpn: string[]; sales: string[] } => ({
    vpn: nft?.ns.setElements('inet', 'fsso', 'fsso_vpn') ?? [],
    sales: nft?.ns.setElements('inet', 'fsso', 'fsso_sales') ?? [],
  });
  const setsBecome = async (what: string, want: { vpn: string[]; sales: string[] }): Promise<void> => {
    if (!nft) return;
    const sorted = (x: { vpn: string[]; sales: string[] }): string =>
      JSON.stringify({ vpn: [...x.vpn].sort(), sales: [...x.sales].sort() });
    await until(what, () => Promise.resolve(sorted(sets()) === sorted(want)), 20_000, 100).catch((err: unknown) => {
      throw new Error(`${String(err)}; sets: ${JSON.stringify(sets())}`);
    });
  };
  await t.test('nft-sync keeps group sets: nested VPN-Users members, and Sales', { skip: noNft }, async () => {
    const ns = new TestNetns();
    t.after(() => ns.remove());
    const config = join(dir.path, 'fw-nft.json');
    writeFileSync(
      config,
      JSON.stringify({
        nft: {
          sets: [
            { name: 'fsso_vpn', groups: [`${dc.domain}\\VPN-Users`] },
            { name: 'fsso_sales', groups: ['Sales'] },
          ],
          command: ['ip', 'netns', 'exec', ns.name, 'nft'],
        },
      }),
    );
    const sync = startProcess('nft-sync', BIN.fw, ['nft-sync', '--config', config, ...collector.args('firewall')]);
    t.after(() => sync.stop());
    nft = { ns, sync };
    await sync.waitFor((l) => l.message === 'nft applied');
    // alice is in VPN-Users through Engineering; carol directly; bob is in Sales.
    await setsBecome('the first sets', { vpn: [ipA, ipC], sales: [ipB] });
  });

  await t.test('a user who roams to another address moves in the firewall replica', async () => {
    await dc.logon('carol', ipD, 'ntlm', 'WKS-CAROL');
    await until('carol at D', async () => (await table())[ipD]?.user === 'carol', 20_000, 200);
    await dc.logon('carol', ipC, 'ntlm', 'WKS-CAROL');
    await watch.waitFor(
      (l) => l['event'] === 'change' && l['op'] === 'DELETE' && l['ip'] === ipD && l['reason'] === 'roamed',
      20_000,
    );
    const rows = await table();
    assert.equal(rows[ipC]?.user, 'carol');
    assert.equal(rows[ipD], undefined, 'the old address is released at once');
    await setsBecome('carol back at C in the VPN set', { vpn: [ipA, ipC], sales: [ipB] });
  });

  await t.test(
    'a group change shows in the firewall replica within the cache TTL (2 s here), added or removed',
    async () => {
      const change = async (op: 'add' | 'delete'): Promise<number> => {
        const ldif = `dn: CN=Sales,CN=Users,${dc.baseDn}\nchangetype: modify\n${op}: member\nmember: CN=alice,CN=Users,${dc.baseDn}\n`;
        const from = watch.lines.length;
        const r = await run('ldapmodify', ['-x', '-H', dc.ldapUrl, '-D', dc.adminDn, '-w', dc.adminPassword], {
          input: ldif,
        });
        assert.equal(r.code, 0, r.stderr);
        const changed = Date.now();
        const want = op === 'add';
        await watch.waitFor(
          (l) =>
            watch.lines.indexOf(l) >= from &&
            l['event'] === 'change' &&
            l['ip'] === ipA &&
            ((l['identity'] as Row | null)?.groups ?? []).includes(`${dc.domain}\\Sales`) === want,
          20_000,
        );
        const took = Date.now() - changed;
        // nft-sync follows: alice's address joins and leaves the Sales set with her membership.
        await setsBecome(`alice ${want ? 'in' : 'out of'} the Sales set`, {
          vpn: [ipA, ipC],
          sales: want ? [ipA, ipB] : [ipB],
        });
        return took;
      };
      const added: number[] = [];
      const removed: number[] = [];
      for (let i = 0; i < 3; i++) {
        added.push(await change('add'));
        removed.push(await change('delete'));
      }
      // Figures for the notes, not an assertion (no wall-clock asserts): the bound is ttl + look-up time.
      t.diagnostic(
        `group change in the firewall replica after the LDAP modify (groups.ttl 2 s): added ${added.join(', ')} ms; removed ${removed.join(', ')} ms; most ${Math.max(...added, ...removed)} ms`,
      );
    },
  );

  await t.test("LDAPS, verified against the DC's CA and certificate name, gives the same groups", async () => {
    const ldapsDir = join(dir.path, 'ldaps');
    mkdirSync(ldapsDir);
    writeFileSync(join(ldapsDir, 'ldap.pw'), dc.bindPassword, { mode: 0o600 });
    const c2 = await startCollector(ldapsDir, {
      config: {
        directories: [
          {
            domain: dc.domain,
            url: `ldaps://${dc.dcIp}:636`,
            caFile: join(dc.dir, 'private/tls/ca.pem'),
            tlsServerName: `dc1.${dc.dnsDomain}`,
            baseDn: dc.baseDn,
            bindDn: dc.bindDn,
            passwordFile: 'ldap.pw',
            timeout: '2s',
          },
        ],
      },
    });
    t.after(() => c2.daemon.stop());
    const a2 = startAgent(ldapsDir, {
      domains: [dc.domain],
      collectors: [{ name: 'main', address: c2.address }],
      sources: [{ name: 'samba', format: 'samba-audit', path: dc.auditLog, follow: true, pollInterval: '100ms' }],
    });
    t.after(() => a2.stop());
    let groups: string[] = [];
    await until(
      "alice's groups over LDAPS",
      async () => {
        const rows = JSON.parse((await runCommand(BIN.ctl, ['logons', '--json', ...c2.args()])).stdout) as Row[];
        groups = rows.find((r) => r.ip === ipA)?.groups ?? [];
        return groups.length > 0;
      },
      20_000,
      250,
    );
    assert.ok(groups.includes(`${dc.domain}\\VPN-Users`), groups.join(', '));
    await a2.stop();
    await c2.daemon.stop();

    // The same DC under a name its certificate does not carry: refused, never trusted.
    const wrongDir = join(dir.path, 'ldaps-wrong');
    mkdirSync(wrongDir);
    writeFileSync(join(wrongDir, 'ldap.pw'), dc.bindPassword, { mode: 0o600 });
    const c3 = await startCollector(wrongDir, {
      config: {
        directories: [
          {
            domain: dc.domain,
            url: `ldaps://${dc.dcIp}:636`,
            caFile: join(dc.dir, 'private/tls/ca.pem'),
            tlsServerName: 'not-the-dc.example.test',
            baseDn: dc.baseDn,
            bindDn: dc.bindDn,
            passwordFile: 'ldap.pw',
            timeout: '2s',
          },
        ],
      },
    });
    t.after(() => c3.daemon.stop());
    const a3 = startAgent(wrongDir, {
      domains: [dc.domain],
      collectors: [{ name: 'main', address: c3.address }],
      sources: [{ name: 'samba', format: 'samba-audit', path: dc.auditLog, follow: true, pollInterval: '100ms' }],
    });
    t.after(() => a3.stop());
    const refused = await c3.daemon.waitFor(
      (l) => l.message === 'group lookup failed; keeping the last known groups, marked stale',
      20_000,
    );
    assert.match(String(refused['error']), /not-the-dc\.example\.test|altnames|certificate/i);
    assert.doesNotMatch(
      JSON.stringify(c3.daemon.lines),
      new RegExp(dc.bindPassword.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
      'the bind password is never logged',
    );
  });

  await t.test(
    'a failed first group look-up is stale, and a restart with the directory fixed brings the groups without a new logon',
    async () => {
      const retryDir = join(dir.path, 'retry');
      mkdirSync(retryDir);
      writeFileSync(join(retryDir, 'ldap.pw'), dc.bindPassword, { mode: 0o600 });
      const directory = (tlsServerName: string): Record<string, unknown> => ({
        directories: [
          {
            domain: dc.domain,
            url: `ldaps://${dc.dcIp}:636`,
            caFile: join(dc.dir, 'private/tls/ca.pem'),
            tlsServerName,
            baseDn: dc.baseDn,
            bindDn: dc.bindDn,
            passwordFile: 'ldap.pw',
            timeout: '2s',
          },
        ],
      });
      const rows = async (c: { args: () => string[] }): Promise<Record<string, Row>> =>
        Object.fromEntries(
          (JSON.parse((await runCommand(BIN.ctl, ['logons', '--json', ...c.args()])).stdout) as Row[]).map((x) => [
            x.ip,
            x,
          ]),
        );
      // The directory unreachable at bob's first logon: a certificate name the DC does not carry.
      const broken = await startCollector(retryDir, { config: directory('not-the-dc.example.test') });
      t.after(() => broken.daemon.stop());
      const a = startAgent(retryDir, {
        domains: [dc.domain],
        collectors: [{ name: 'main', address: broken.address }],
        sources: [{ name: 'samba', format: 'samba-audit', path: dc.auditLog, follow: true, pollInterval: '100ms' }],
      });
      t.after(() => a.stop());
      let bob: Row | undefined;
      await until('bob marked stale', async () => (bob = (await rows(broken))[ipB])?.groupsStale === true, 20_000, 250);
      assert.deepEqual(bob?.groups, [], 'no groups known yet, and the entry says so');
      const failed = await broken.daemon.waitFor(
        (l) => l.message === 'group lookup failed; keeping the last known groups, marked stale' && l['user'] === 'bob',
        5000,
      );
      assert.equal(typeof failed['retryInMs'], 'number', 'the log line says when it is tried again');
      // No new logon from here on: the agent stops, the collector restarts with the right name.
      await a.stop();
      await broken.daemon.stop();
      const fixed = await startCollector(retryDir, { config: directory(`dc1.${dc.dnsDomain}`) });
      t.after(() => fixed.daemon.stop());
      await until(
        "bob's groups after the restart",
        async () => (bob = (await rows(fixed))[ipB])?.groupsStale === false,
        20_000,
        250,
      );
      assert.deepEqual(bob?.groups, [`${dc.domain}\\AllStaff`, `${dc.domain}\\Sales`]);
    },
  );

  await t.test('with the directory down, the last known groups stay, marked stale', async () => {
    await dc.stop();
    dcStopped = true;
    let row: Row | undefined;
    await until('alice marked stale', async () => (row = (await table())[ipA])?.groupsStale === true, 20_000, 250);
    assert.ok(row?.groups.includes(`${dc.domain}\\VPN-Users`), 'groups kept');
    const who = await runCommand(BIN.ctl, ['who', ipA, ...conn]);
    assert.match(who.stdout, /stale: the directory was unreachable/);
  });
});
