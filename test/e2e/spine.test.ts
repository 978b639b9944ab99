import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, DEMO_SAMPLE } from '../support/paths';
import { runCommand, startAgent, startCollector, startWatch, tempDir } from '../support/processes';

interface Row {
  ip: string;
  user: string;
  domain: string;
  groups: string[];
  workstation: string;
  source: string;
  shared: boolean;
}

/**
 * The whole path as separate processes: a DC agent replays real Windows events into a collector
 * on 127.0.0.1:0; the firewall client's replica and the operator CLI then show those users.
 */
test('events flow from a DC agent through the collector to a firewall client', async (t) => {
  const dir = tempDir('spine');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());
  const conn = collector.args();

  // What the agent would send, as the operator would check it first.
  const parsed = await runCommand(BIN.agent, ['parse', '--format', 'windows-xml', DEMO_SAMPLE]);
  assert.equal(parsed.code, 0, parsed.stderr);
  const events = parsed.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; user: string; ip: string });
  // Replayed as live (stampReadTime), every event lands within a second: an address where three or
  // more users show up is a shared host (identity.sharedThreshold) and names nobody; elsewhere the
  // last user seen holds the address.
  const lastUserAt = new Map<string, string>();
  const usersAt = new Map<string, Set<string>>();
  for (const e of events) {
    if ((e.kind !== 'USER_LOGON' && e.kind !== 'USER_ACTIVITY') || !e.ip) continue;
    lastUserAt.set(e.ip, e.user);
    usersAt.set(e.ip, (usersAt.get(e.ip) ?? new Set()).add(e.user));
  }
  for (const [ip, users] of usersAt) if (users.size >= 3) lastUserAt.set(ip, '(shared)');
  assert.ok(lastUserAt.size >= 3, `the sample should name users at several addresses, got ${lastUserAt.size}`);

  const agent = startAgent(
    dir.path,
    {
      collectors: [{ name: 'main', address: collector.address }],
      sources: [{ format: 'windows-xml', path: DEMO_SAMPLE, stampReadTime: true }],
    },
    ['--until-delivered'],
  );
  t.after(() => agent.stop());
  assert.equal(await agent.exited, 0, agent.stderr.join('\n'));

  // The firewall's replica holds, for every address, the last user the agent saw there.
  const fw = await runCommand(BIN.fw, ['table', '--json', ...conn]);
  assert.equal(fw.code, 0, fw.stderr);
  const table = JSON.parse(fw.stdout) as Row[];
  assert.deepEqual(new Map(table.map((r) => [r.ip, r.shared ? '(shared)' : r.user])), lastUserAt);
  assert.ok(
    [...lastUserAt.values()].includes('(shared)') && [...lastUserAt.values()].some((u) => u !== '(shared)'),
    'the sample has both kinds',
  );

  // A lookup of one of them, human and machine form.
  const [ip, user] = [...lastUserAt].find(([, u]) => u !== '(shared)') as [string, string];
  const look = await runCommand(BIN.fw, ['lookup', ip, '--json', ...conn]);
  assert.equal(look.code, 0, look.stderr);
  assert.equal((JSON.parse(look.stdout) as Row).user, user);
  const human = await runCommand(BIN.fw, ['lookup', ip, ...conn]);
  assert.match(human.stdout, new RegExp(`${ip.replace(/\./g, '\\.')}\\s+\\S*${user}`));
  const nobody = await runCommand(BIN.fw, ['lookup', '198.18.255.254', ...conn]);
  assert.equal(nobody.code, 3);

  // The operator sees the same table and the agent's stream position.
  const logons = await runCommand(BIN.ctl, ['logons', '--json', ...conn]);
  assert.equal((JSON.parse(logons.stdout) as Row[]).length, lastUserAt.size);
  const agents = JSON.parse((await runCommand(BIN.ctl, ['agents', '--json', ...conn])).stdout) as {
    agentId: string;
    ackedSeq: number;
    backlog: number;
    connected: boolean;
  }[];
  assert.equal(agents.length, 1);
  assert.equal(agents[0]?.agentId, 'dc1');
  // Every event the parser produced was spooled or deliberately folded/filtered, and every spooled one acknowledged.
  const progress = [...agent.lines].reverse().find((l) => l.message === 'progress') ?? {};
  const n = (k: string): number => Number(progress[k] ?? NaN);
  assert.equal(
    n('spooled') + n('coalesced') + n('ignoredUser') + n('ignoredNetwork') + n('ignoredLogonType'),
    events.length,
  );
  assert.equal(agents[0]?.ackedSeq, n('spooled'), 'every spooled event was acknowledged');
  assert.equal(agents[0]?.backlog, 0);

  // Force a logoff; the firewall no longer finds the user.
  const off = await runCommand(BIN.ctl, ['logoff', ip, ...conn]);
  assert.equal(off.code, 0, off.stderr);
  assert.equal((await runCommand(BIN.fw, ['lookup', ip, ...conn])).code, 3);
  assert.equal((await runCommand(BIN.ctl, ['who', ip, ...conn])).code, 3);
});

test('the firewall replica receives changes as they happen and resumes after a collector restart', async (t) => {
  const dir = tempDir('watch');
  t.after(dir.cleanup);
  let collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());
  const conn = collector.args();
  const watch = await startWatch(t, collector);

  const agent = startAgent(
    dir.path,
    {
      collectors: [{ name: 'main', address: collector.address }],
      sources: [{ format: 'windows-xml', path: DEMO_SAMPLE, stampReadTime: true }],
    },
    ['--until-delivered'],
  );
  t.after(() => agent.stop());
  assert.equal(await agent.exited, 0);
  const changes = (): number => watch.lines.filter((l) => l['event'] === 'change').length;
  await watch.waitFor((l) => l['event'] === 'change');

  // Restart the collector on the same port: the replica reconnects with its revision and gets
  // only the new change (a forced logoff), not a new snapshot.
  const port = collector.port;
  await collector.daemon.stop();
  collector = await startCollector(dir.path, { port });
  const before = changes();
  const target = watch.lines.find((l) => l['event'] === 'change' && l['op'] === 'UPSERT')?.['ip'] as string;
  await new Promise((r) => setTimeout(r, 1500)); // let the replica's backoff reconnect
  assert.equal((await runCommand(BIN.ctl, ['logoff', target, ...conn])).code, 0);
  const removal = await watch.waitFor((l) => l['event'] === 'change' && l['op'] === 'DELETE' && l['ip'] === target);
  assert.equal(removal['reason'], 'admin-delete');
  assert.equal(
    watch.lines.filter((l) => l['event'] === 'snapshot').length,
    0,
    'resumed from its revision, no snapshot',
  );
  assert.ok(changes() > before);
});
