import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN } from '../support/paths';
import { runCommand, startAgent, startCollector, tempDir } from '../support/processes';
import { until } from '../support/grpc';
import { pickClientIps, sambaAvailable, startSambaDc } from '../support/samba';

interface Row {
  ip: string;
  user: string;
}
interface Audit {
  type: string;
  [k: string]: unknown;
}

/**
 * Issue 9, item 4 against a real Samba AD DC: logons made on the DC host to the DC's own address
 * map nobody with the default agent configuration, while a client's logon beside them maps.
 * bob's LDAP bind shows the record's own check (remoteAddress = localAddress, applied everywhere,
 * `parse` too); carol's kinit shows the live interface check (the KDC logs no local address).
 */
test(
  "real Samba DC: logons from the DC's own address map nobody; a client's beside them maps",
  { timeout: 300_000 },
  async (t) => {
    const available = sambaAvailable();
    if (!available.ok) {
      t.skip(`Samba AD DC not installed: ${available.reason}; install the Debian packages listed in .ci/run`);
      return;
    }
    const [ipA] = (await pickClientIps(1)) as [string];
    const dc = await startSambaDc({ clientIps: [ipA] });
    t.after(() => dc.stop());
    const dir = tempDir('samba-self');
    t.after(dir.cleanup);
    const collector = await startCollector(dir.path);
    t.after(() => collector.daemon.stop());
    const agent = startAgent(dir.path, {
      domains: [dc.domain],
      collectors: [{ name: 'main', address: collector.address }],
      sources: [{ name: 'samba', format: 'samba-audit', path: dc.auditLog, follow: true, pollInterval: '100ms' }],
      filters: { coalesceWindow: '0s' },
    });
    t.after(() => agent.stop());
    const started = await agent.waitFor((l) => l.message === 'agent started');
    assert.ok(
      (started['selfTraffic'] as { drop: string[] }).drop.includes(dc.gateway),
      `the DC's bridge address is one of the host's: ${JSON.stringify(started['selfTraffic'])}`,
    );

    await dc.logonOnDcHost('bob', 'ldap');
    await dc.logonOnDcHost('carol', 'krb5');
    await dc.logon('alice', ipA, 'ldap');

    // What Samba wrote: bob's bind from the gateway to the gateway; carol's AS-REQ from the gateway, no local address.
    const lines = await dc.waitForAudit(
      (ls) => ls.some((l) => l.includes('"alice')) && ls.some((l) => l.includes('"carol')),
    );
    const records = lines.map((l) => JSON.parse(l) as Audit).map((o) => o[o.type] as Record<string, unknown>);
    const addr = (v: unknown): string =>
      String(v)
        .replace(/^ipv4:/, '')
        .replace(/:\d+$/, '');
    const bob = records.find((b) => b['becameAccount'] === 'bob' && b['serviceDescription'] === 'LDAP');
    assert.deepEqual([addr(bob?.['remoteAddress']), addr(bob?.['localAddress'])], [dc.gateway, dc.gateway]);
    const carol = records.find((b) => b['becameAccount'] === 'carol' && b['serviceDescription'] === 'Kerberos KDC');
    assert.deepEqual([addr(carol?.['remoteAddress']), carol?.['localAddress']], [dc.gateway, null]);

    // The collector: alice at her client address, nobody at the DC's.
    let rows: Row[] = [];
    await until(
      'alice in the collector',
      async () => {
        rows = JSON.parse((await runCommand(BIN.ctl, ['logons', '--json', ...collector.args()])).stdout) as Row[];
        return rows.some((r) => r.ip === ipA);
      },
      30_000,
      250,
    );
    // The agent read every line before alice's (one file, in order): counted as self-traffic in its progress line.
    const progress = await agent.waitFor((l) => l.message === 'progress' && (l['selfTraffic'] as number) >= 2, 30_000);
    assert.ok((progress['selfTraffic'] as number) >= 2);
    rows = JSON.parse((await runCommand(BIN.ctl, ['logons', '--json', ...collector.args()])).stdout) as Row[];
    assert.deepEqual(
      rows.map((r) => [r.ip, r.user]),
      [[ipA, 'alice']],
    );

    // parse on another host: the record's own check still drops bob; carol's KDC record cannot be told from the record alone.
    const parsed = await runCommand(BIN.agent, ['parse', '--format', 'samba-audit', '--stats', dc.auditLog]);
    assert.equal(parsed.code, 0, parsed.stderr);
    assert.match(
      parsed.stderr,
      /skipped +\d+ {2}self-traffic: the client address is the server's own \(remoteAddress equals localAddress\)/,
    );
    const events = parsed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Row);
    assert.deepEqual(
      events.filter((e) => e.ip === dc.gateway).map((e) => e.user),
      ['carol'],
    );
  },
);
