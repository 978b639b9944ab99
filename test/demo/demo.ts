/**
 * `npm run demo`: the whole system on one machine, on defaults. Starts a collector, a DC agent that
 * replays a bundled sample of real Windows Security events, and a firewall client; prints the
 * table the firewall sees and a few lookups; stops everything.
 */
import { rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatAge, identityName, renderTable } from '@fsso/common';
import { IdentityReplica, decide } from '@fsso/firewall-client';
import { DEMO_SAMPLE, ROOT } from '../support/paths';
import { startAgent, startCollector } from '../support/processes';
import { adminClient, getStats } from '../support/grpc';
import { testPki } from '../support/pki';

const say = (s: string): boolean => process.stdout.write(`${s}\n`);

async function main(): Promise<void> {
  process.noDeprecation = true; // grpc-js names 127.0.0.1 as TLS server name; Node warns about IPs there
  const dir = join(ROOT, '.demo');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  say('FSSO demo: DC agent -> collector -> firewall client, as three real parts on 127.0.0.1\n');

  // The sample's DC writes its domain both ways (OFFSEC and OFFSEC.LAN): the config says they are one.
  const collector = await startCollector(dir, { config: { domains: { OFFSEC: 'offsec.lan' } } });
  say(`1. collector listening on ${collector.address} (SQLite: .demo/collector-data/collector.db)`);
  const stops: (() => Promise<unknown>)[] = [() => collector.daemon.stop()];
  say(
    `   mutual TLS: a private CA and one certificate per role (collector, agent, firewall) made for this demo in ${testPki().dir}`,
  );
  const replica = new IdentityReplica({
    address: collector.address,
    credentials: collector.credentials('firewall'),
    clientName: 'demo firewall',
  });
  try {
    replica.start();
    await replica.whenReady();
    let changes = 0;
    replica.on('change', () => changes++);
    say(`2. firewall client connected: its replica holds ${replica.size} entries (revision ${replica.revision})`);

    say('3. DC agent replaying 187 real Windows Security events (4624/4768/4769) from packages/dc-agent/samples/');
    const agent = startAgent(
      dir,
      {
        domains: ['OFFSEC'],
        collectors: [{ name: 'demo', address: collector.address }],
        // The recording is from 2021: stamp events with the time they are read, as if live.
        sources: [{ format: 'windows-xml', path: DEMO_SAMPLE, stampReadTime: true }],
      },
      ['--until-delivered'],
    );
    stops.push(() => agent.stop());
    const code = await agent.exited;
    if (code !== 0) throw new Error(`the agent exited with ${code}: ${agent.stderr.join('\n')}`);
    const read = agent.lines.find((l) => l.message === 'source finished');
    // The agent's last progress line (logged as it stops) holds what the filters dropped and folded.
    const progress = [...agent.lines].reverse().find((l) => l.message === 'progress') ?? {};
    const n = (v: unknown): number => (typeof v === 'number' ? v : 0);
    const filtered = n(progress['ignoredUser']) + n(progress['ignoredNetwork']) + n(progress['ignoredLogonType']);
    const admin = adminClient(collector);
    const stats = await getStats(admin).finally(() => admin.close());
    say(
      `   read ${String(read?.['records'] ?? '?')} records -> ${String(read?.['events'] ?? '?')} events; filtered out ${filtered}, folded ${n(progress['coalesced'])}; sent ${n(progress['spooled'])}`,
    );
    say(
      `   the collector accepted ${stats.eventsAccepted}, rejected ${stats.rejected}, duplicates ${stats.duplicates}; the firewall received ${changes} changes; the agent exited once all was acknowledged\n`,
    );

    const rows = replica.entries().sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }));
    say('4. The table the firewall sees:');
    say(
      renderTable(
        ['IP', 'USER', 'WORKSTATION', 'LAST SEEN', 'SOURCE'],
        rows.map((i) => [i.ip, identityName(i), i.workstation || '-', formatAge(i.lastSeenMs), i.source]),
      ),
    );

    say("\n5. Lookups, answered from the firewall's memory:");
    for (const ip of [rows.find((r) => !r.shared)?.ip, rows.find((r) => r.shared)?.ip, '198.18.0.99'].filter(
      (x): x is string => !!x,
    )) {
      const id = replica.lookup(ip);
      say(
        `   ${ip.padEnd(16)} ${id ? `${identityName(id)}${id.shared ? '' : ` (workstation ${id.workstation || 'unknown'})`}` : 'nobody known -> identity rules deny'}`,
      );
    }
    const first = rows.find((r) => !r.shared);
    if (rows.some((r) => r.shared))
      say(
        '   (shared: the recording was replayed in one second, so several users met at one address: a terminal-server-like\n    address is marked shared and names nobody, rather than guess)',
      );
    if (first) {
      const d = decide(replica.lookup(first.ip), { allowUsers: [first.user] });
      say(`   rule "allow ${first.user}" for ${first.ip}: ${d.allow ? 'ALLOW' : 'DENY'} (${d.reason})`);
    }
    say('\nRun the parts yourself: see "Running it" in README.md.');
  } finally {
    replica.stop();
    for (const stop of stops.reverse()) await stop();
    say('\n6. stopped the agent and the collector cleanly.');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
