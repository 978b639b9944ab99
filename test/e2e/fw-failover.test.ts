/**
 * The firewall client's failover between two real collector processes fed by one agent: the
 * current collector is SIGKILLed, the client switches and no lookup misses an address both
 * hold; the first collector returns on its port and the client switches back once it is synced;
 * with both down the last table is served for the grace, then failMode applies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, flushLogger } from '@fsso/common';
import { FirewallClient, compilePolicy, type ClientMode, type SwitchEvent } from '@fsso/firewall-client';
import { BIN, DEMO_SAMPLE } from '../support/paths';
import { runCommand, startAgent, startCollector, tempDir, type CollectorHandle } from '../support/processes';
import { until } from '../support/grpc';

test('fsso-fw failover: switch on SIGKILL without a missed lookup, back when the first returns, then grace and the fail modes', async (t) => {
  const dir = tempDir('fw-failover');
  t.after(dir.cleanup);
  mkdirSync(join(dir.path, 'a'));
  mkdirSync(join(dir.path, 'b'));
  // Heartbeats well inside the clients' 1 s silence timeout: an idle stream is not taken for a
  // frozen collector (with the default 15 s a loaded machine made the clients flap between them).
  const env = { FSSO_TEST_SYNC_HEARTBEAT_MS: '200' };
  let a: CollectorHandle = await startCollector(join(dir.path, 'a'), { env });
  const b = await startCollector(join(dir.path, 'b'), { env });
  t.after(() => a.daemon.stop());
  t.after(() => b.daemon.stop());
  const agent = startAgent(dir.path, {
    collectors: [
      { name: 'a', address: a.address },
      { name: 'b', address: b.address },
    ],
    sources: [{ format: 'windows-xml', path: DEMO_SAMPLE, stampReadTime: true }],
  });
  t.after(() => agent.stop());
  await until(
    'both collectors to acknowledge everything',
    async () => {
      const s = JSON.parse(
        (await runCommand(BIN.agent, ['status', '--config', join(dir.path, 'agent.json'), '--json'])).stdout,
      ) as { head: number; collectors: { backlog: number }[] };
      return s.head > 0 && s.collectors.every((c) => c.backlog === 0);
    },
    30_000,
    200,
  );

  const logFile = join(dir.path, 'fw.log');
  const log = createLogger('fsso-fw', { file: logFile, format: 'json' });
  const policy = compilePolicy({ rules: [{ action: 'deny', name: 'nobody known', unknown: true }], default: 'allow' });
  const make = (failMode: 'closed' | 'keep'): FirewallClient =>
    new FirewallClient({
      collectors: [
        { name: 'A', address: a.address, credentials: a.credentials('firewall') },
        { name: 'B', address: b.address, credentials: b.credentials('firewall') },
      ],
      graceMs: 2000,
      failMode,
      policy,
      clientName: `failover test ${failMode}`,
      silenceTimeoutMs: 1000,
      log: failMode === 'closed' ? log : undefined,
    });
  const closed = make('closed');
  const keep = make('keep');
  t.after(() => closed.stop());
  t.after(() => keep.stop());
  const modes: ClientMode[] = [];
  const switches: SwitchEvent[] = [];
  closed.on('mode', (m: { to: ClientMode }) => modes.push(m.to));
  closed.on('switch', (s: SwitchEvent) => switches.push(s));
  closed.start();
  keep.start();
  await closed.whenReady();
  await keep.whenReady();
  assert.equal(closed.collector, 'A');
  assert.equal(closed.mode, 'LIVE');
  const ips = closed.entries().map((i) => i.ip);
  assert.ok(ips.length > 0);
  const users = new Map(ips.map((ip) => [ip, closed.lookup(ip)?.user]));
  // An address with one named user (the sample also holds shared ones).
  const probe =
    ips.find((ip) => {
      const i = closed.lookup(ip);
      return i !== undefined && i.user !== '' && !i.shared && !i.contested;
    }) ?? '';
  assert.notEqual(probe, '');

  // Poll every address while A dies and B takes over: not one lookup may come back empty.
  let misses = 0;
  let polls = 0;
  let polling = true;
  const poller = (async (): Promise<void> => {
    while (polling && polls < 1_000_000) {
      for (const ip of ips) if (closed.lookup(ip)?.user !== users.get(ip)) misses++;
      polls++;
      await new Promise((r) => setImmediate(r));
    }
  })();
  await a.daemon.kill();
  await until('the client to switch to B', () => closed.collector === 'B' && closed.mode === 'LIVE', 20_000, 10);
  await new Promise((r) => setTimeout(r, 100));
  polling = false;
  await poller;
  assert.equal(misses, 0, `no lookup missed an address both hold (${polls} rounds of ${ips.length})`);
  assert.ok(polls > 10, `the poller ran (${polls} rounds)`);
  let st = closed.status();
  assert.equal(st.counters.switches, 1);
  assert.equal(st.lastSwitch?.from, 'A');
  assert.equal(st.lastSwitch?.to, 'B');
  assert.match(st.lastSwitch?.reason ?? '', /^A lost \(/);
  assert.equal(st.entries, ips.length);
  const fromB = closed.decide(probe);
  assert.equal(fromB.action, 'allow', "decisions come from B's table now");
  assert.match(fromB.reason, /matches no rule; default allow$/);

  // A returns on its port with its own data: the client goes back once A is synced; B is let go.
  a = await startCollector(join(dir.path, 'a'), { port: a.port, env });
  await until('the client to switch back to A', () => closed.collector === 'A', 20_000, 10);
  st = closed.status();
  assert.equal(st.counters.switches, 2);
  assert.equal(st.lastSwitch?.reason, 'A is back and synced (higher priority)');
  assert.equal(st.mode, 'LIVE');
  assert.equal(st.collectors[1]?.state, 'STOPPED', 'the lower-priority replica is stopped once A serves');
  assert.equal(closed.lookup(probe)?.user, users.get(probe));
  await until('the keep client to be back on A too', () => keep.collector === 'A' && keep.mode === 'LIVE', 20_000, 10);

  // Both down: within the grace the last table is served; after it, closed knows nobody, keep keeps the table.
  await a.daemon.kill();
  await b.daemon.kill();
  await until('the client to notice that no collector is live', () => closed.mode === 'GRACE', 10_000, 10);
  assert.equal(closed.lookup(probe)?.user, users.get(probe), 'in the grace: the last table');
  assert.ok(closed.status().ageMs >= 0);
  await until('the grace to end', () => closed.mode === 'CLOSED' && keep.mode === 'KEEP', 15_000, 20);
  assert.equal(closed.lookup(probe), undefined, 'closed: nobody is known');
  assert.equal(closed.entries().length, 0);
  const d = closed.decide(probe);
  assert.equal(d.ruleName, 'nobody known');
  assert.equal(d.action, 'deny');
  assert.equal(keep.lookup(probe)?.user, users.get(probe), 'keep: the last table');
  assert.equal(keep.decide(probe).action, 'allow');
  assert.deepEqual(modes.slice(0, 2), ['STARTING', 'LIVE']);
  assert.ok(modes.includes('GRACE') && modes.at(-1) === 'CLOSED', `modes: ${modes.join(' → ')}`);
  assert.equal(switches.length, 2);
  st = closed.status();
  assert.equal(st.counters.modeChanges, modes.length - 2, 'every mode change after the start is counted');

  await flushLogger(log);
  const lines = readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const sw = lines.filter((l) => l['message'] === 'collector switch');
  assert.deepEqual(
    sw.map((l) => [l['level'], l['from'], l['to']]),
    [
      ['warn', 'A', 'B'],
      ['warn', 'B', 'A'],
    ],
  );
  assert.ok(lines.some((l) => l['message'] === 'collector lost' && l['collector'] === 'A'));
  const closing = lines.find((l) => l['message'] === 'firewall client mode' && l['to'] === 'CLOSED');
  assert.equal(closing?.['level'], 'warn');
  assert.match(
    String(closing?.['reason']),
    /^no collector for 2000 ms; failMode closed: nobody is known until a collector returns$/,
  );
  t.diagnostic(`modes: ${modes.join(' → ')}; ${polls} lookup rounds of ${ips.length} addresses during the switch`);
});
