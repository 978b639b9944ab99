import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../support/paths';
import { runCommand, startAgent, startCollector, startWatch, tempDir, type Daemon } from '../support/processes';

/*
 * The disk under the collector's database fills up (a 4 MiB tmpfs this test mounts): ingest stops
 * acknowledging with a clear error, the agent keeps its events in its spool, lookups and Sync keep
 * working, and when space returns ingest resumes by itself with nothing lost.
 */

/** Fills `dir` with one file until the file system says ENOSPC. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let i = 0; i < 10_000; i++) writeSync(fd, chunk);
  } catch {
    // ENOSPC: full, as wanted.
  } finally {
    closeSync(fd);
  }
}

test('disk full under the database: ingest pauses with a clear error, lookups and Sync go on, ingest resumes when space returns', async (t) => {
  const dir = tempDir('fault-disk');
  const mnt = join(dir.path, 'db');
  mkdirSync(mnt);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    t.skip(`cannot mount a tmpfs here (${mounted.stderr.trim() || 'mount refused'}); the disk-full test needs root`);
    return;
  }
  const daemons: Daemon[] = [];
  // One hook, in order: our processes first (they hold files on the mount), then the mount, then the folder.
  t.after(async () => {
    for (const d of daemons.reverse()) await d.stop();
    spawnSync('umount', [mnt]);
    dir.cleanup();
  });
  const feed = join(dir.path, 'live.jsonl');
  const line = (i: number): string =>
    `${JSON.stringify({ kind: 'USER_LOGON', user: `user${i}`, domain: 'CORP', ip: `198.18.50.${i}`, source: 'windows-security', sourceEventId: '4624', logonType: 3, eventTimeMs: Date.now() })}\n`;
  writeFileSync(feed, line(1));
  const collector = await startCollector(dir.path, {
    config: { dataDir: mnt, log: { format: 'json', level: 'info' } },
  });
  daemons.push(collector.daemon);
  const agent = startAgent(dir.path, {
    collectors: [{ name: 'main', address: collector.address }],
    sources: [{ name: 'live', format: 'events', path: 'live.jsonl', follow: true, pollInterval: '100ms' }],
    filters: { coalesceWindow: '0s' },
  });
  daemons.push(agent);
  const watch = await startWatch({ after: () => undefined }, collector);
  daemons.push(watch);
  // The first logon is in before the disk fills (in the snapshot or as a change).
  for (
    let i = 0;
    i < 100 && (await runCommand(BIN.fw, ['lookup', '198.18.50.1', ...collector.args('firewall')])).code !== 0;
    i++
  )
    await new Promise((r) => setTimeout(r, 200));

  const filler = join(mnt, 'filler');
  fill(filler);
  for (let i = 2; i <= 30; i++) appendFileSync(feed, line(i));
  const err = await collector.daemon.waitFor(
    (l) => l.message === 'ingest paused: the database cannot be written; agents keep their events and resend',
    30_000,
  );
  assert.match(String(err['reason']), /^the disk under the database .*collector\.db is full; free space there/);
  // Lookups and Sync still answer while ingest is paused.
  const who = await runCommand(BIN.fw, ['lookup', '198.18.50.1', ...collector.args('firewall')]);
  assert.equal(
    who.code,
    0,
    `${who.stderr}; collector: ${JSON.stringify(collector.daemon.lines.slice(-6))} ${collector.daemon.stderr.join('\n')}`,
  );
  const stats = await runCommand(BIN.ctl, ['stats', '--json', ...collector.args()]);
  assert.equal(stats.code, 0, stats.stderr);

  rmSync(filler);
  for (let i = 2; i <= 30; i++)
    await watch.waitFor((l) => l['event'] === 'change' && l['ip'] === `198.18.50.${i}`, 60_000);
  const table = await runCommand(BIN.fw, ['table', '--json', ...collector.args('firewall')]);
  const ips = (JSON.parse(table.stdout) as { ip: string }[])
    .map((e) => e.ip)
    .filter((ip) => ip.startsWith('198.18.50.'));
  assert.equal(new Set(ips).size, 30, 'nothing lost');
  const resumed = await collector.daemon.waitFor(
    (l) => l.message === 'ingest resumed: the database can be written again',
  );
  assert.ok(Number(resumed['refusedBatches']) >= 1);
  assert.equal(
    collector.daemon.lines.filter((l) => l.message?.startsWith('ingest paused')).length,
    1,
    'one line when ingest pauses, not one per retried batch',
  );
  assert.equal(collector.daemon.lines.filter((l) => l.level === 'error').length, 1, 'no other errors');
});
