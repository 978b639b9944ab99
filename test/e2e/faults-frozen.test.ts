import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../support/paths';
import { runCommand, startAgent, startCollector, startWatch, tempDir } from '../support/processes';

/*
 * A frozen collector (SIGSTOP, then SIGCONT) must not hang anyone: the agent notices through its
 * ack deadline while frozen, keeps spooling, reconnects and resumes after the thaw; the firewall's
 * Sync stream carries the changes made after it; nothing is lost. Real processes.
 */

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('collector frozen (SIGSTOP) and thawed: the agent notices and resumes, fsso-fw watch gets every change, nothing lost', async (t) => {
  const dir = tempDir('fault-frozen');
  t.after(dir.cleanup);
  const feed = join(dir.path, 'live.jsonl');
  const line = (i: number): string =>
    `${JSON.stringify({ kind: 'USER_LOGON', user: `user${i}`, domain: 'CORP', ip: `198.18.40.${i}`, source: 'windows-security', sourceEventId: '4624', logonType: 3, eventTimeMs: Date.now() })}\n`;
  writeFileSync(feed, line(1));
  const collector = await startCollector(dir.path);
  // SIGCONT first, so a failed test never leaves a stopped process behind.
  t.after(async () => {
    collector.daemon.child.kill('SIGCONT');
    await collector.daemon.kill();
  });
  const agent = startAgent(dir.path, {
    collectors: [{ name: 'main', address: collector.address }],
    sources: [{ name: 'live', format: 'events', path: 'live.jsonl', follow: true, pollInterval: '100ms' }],
    filters: { coalesceWindow: '0s' },
    ackTimeout: '2s',
  });
  t.after(() => agent.stop());
  const watch = await startWatch(t, collector);
  // The first logon is in before the freeze (in the watch's snapshot or as a change).
  for (
    let i = 0;
    i < 100 && (await runCommand(BIN.fw, ['lookup', '198.18.40.1', ...collector.args('firewall')])).code !== 0;
    i++
  )
    await sleep(200);

  collector.daemon.child.kill('SIGSTOP');
  // Events keep coming while the collector is frozen: they go to the agent's spool.
  for (let i = 2; i <= 20; i++) appendFileSync(feed, line(i));
  await agent.waitFor((l) => l.message === 'no acknowledgement from the collector in time; reconnecting', 20_000);
  await sleep(1000);
  collector.daemon.child.kill('SIGCONT');

  // After the thaw: every change reaches the firewall, and a new event still flows end to end.
  for (let i = 2; i <= 20; i++)
    await watch.waitFor((l) => l['event'] === 'change' && l['ip'] === `198.18.40.${i}`, 30_000);
  appendFileSync(feed, line(21));
  await watch.waitFor((l) => l['event'] === 'change' && l['ip'] === '198.18.40.21', 30_000);
  const table = await runCommand(BIN.fw, ['table', '--json', ...collector.args('firewall')]);
  assert.equal(table.code, 0, table.stderr);
  const ips = (JSON.parse(table.stdout) as { ip: string }[])
    .map((e) => e.ip)
    .filter((ip) => ip.startsWith('198.18.40.'));
  assert.equal(new Set(ips).size, 21, 'all 21 users are in the table');
  assert.ok(
    agent.lines.some(
      (l) =>
        l.message === 'connected to collector' && l !== agent.lines.find((x) => x.message === 'connected to collector'),
    ),
    'the agent reconnected after the thaw',
  );
});
