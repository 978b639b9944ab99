import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAgent, startCollector, startWatch, tempDir, type Daemon } from '../support/processes';

/*
 * SIGTERM takes the one shutdown path and always ends the process, with an agent's Report stream
 * and a firewall's Sync stream open; a second signal ends it at once, without the
 * "write after end" crash. Real collector, agent and fsso-fw processes.
 */

/** The exit code, or a failure if the process is still alive after `ms` (a bound, not a timing). */
async function exitWithin(d: Daemon, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'alive'>((r) => (timer = setTimeout(() => r('alive'), ms)));
  const r = await Promise.race([d.exited, late]);
  clearTimeout(timer);
  if (r === 'alive') {
    await d.kill();
    assert.fail(
      `${d.name} was still running ${ms} ms after the signal; last lines: ${JSON.stringify(d.lines.slice(-3))}`,
    );
  }
  return r;
}

async function busyCollector(
  t: { after: (fn: () => unknown) => void },
  prefix: string,
): Promise<{ collector: Awaited<ReturnType<typeof startCollector>>; agent: Daemon }> {
  const dir = tempDir(prefix);
  t.after(dir.cleanup);
  writeFileSync(
    join(dir.path, 'live.jsonl'),
    `${JSON.stringify({ kind: 'USER_LOGON', user: 'alice', domain: 'CORP', ip: '198.18.30.1', source: 'windows-security', sourceEventId: '4624', logonType: 3, eventTimeMs: Date.now() })}\n`,
  );
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.kill());
  const agent = startAgent(dir.path, {
    collectors: [{ name: 'main', address: collector.address }],
    sources: [{ name: 'live', format: 'events', path: 'live.jsonl', follow: true, pollInterval: '100ms' }],
    filters: { coalesceWindow: '0s' },
  });
  t.after(() => agent.kill());
  await collector.daemon.waitFor((l) => l.message === 'agent connected');
  return { collector, agent };
}

test('SIGTERM with an agent stream and a Sync stream open: drained, "collector stopped", exit 0', async (t) => {
  const { collector } = await busyCollector(t, 'ff-term');
  const watch = await startWatch(t, collector);
  await watch.waitFor((l) => l['event'] === 'ready');
  collector.daemon.child.kill('SIGTERM');
  const code = await exitWithin(collector.daemon, 15_000);
  assert.equal(code, 0, collector.daemon.stderr.join('\n'));
  assert.ok(collector.daemon.lines.some((l) => l.message === 'shutting down' && l['signal'] === 'SIGTERM'));
  assert.ok(collector.daemon.lines.some((l) => l.message === 'collector stopped'));
  assert.deepEqual(collector.daemon.stderr, [], 'nothing on stderr (no "write after end", no stack)');
});

test('a second signal during the drain exits at once (130), without a crash', async (t) => {
  const { collector } = await busyCollector(t, 'ff-term2');
  await startWatch(t, collector);
  collector.daemon.child.kill('SIGTERM');
  collector.daemon.child.kill('SIGTERM');
  const code = await exitWithin(collector.daemon, 15_000);
  // Both signals are usually handled before the drain ends; if the drain won the race, exit 0.
  assert.ok(code === 130 || code === 0, `exit ${code}; stderr: ${collector.daemon.stderr.join('\n')}`);
  if (code === 130)
    assert.ok(
      collector.daemon.lines.some((l) => l.message === 'second signal: exiting without draining') ||
        collector.daemon.stderr.some((s) => /second signal/.test(s)),
    );
  assert.doesNotMatch(collector.daemon.stderr.join('\n'), /write after end|^\s+at /m);
});
