import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { adminClient, getStats, until } from '../support/grpc';
import { startAgent, startCollector, tempDir, type CollectorHandle } from '../support/processes';
import { manyLogons } from '../support/synthetic';

const COUNT = 20_000;

/** What the collector's SQLite file holds for the agent: every sequence exactly once? */
function eventsHeld(dir: string): { rows: number; distinct: number; min: number; max: number; users: Set<string> } {
  const db = new Database(join(dir, 'collector-data/collector.db'), { readonly: true });
  try {
    const r = db
      .prepare(
        "SELECT COUNT(*) AS rows, COUNT(DISTINCT seq) AS distinct_, MIN(seq) AS min, MAX(seq) AS max FROM events WHERE agent_id = 'dc1'",
      )
      .get() as { rows: number; distinct_: number; min: number; max: number };
    const users = new Set(
      (db.prepare("SELECT user FROM events WHERE agent_id = 'dc1'").all() as { user: string }[]).map((u) => u.user),
    );
    return { rows: r.rows, distinct: r.distinct_, min: r.min, max: r.max, users };
  } finally {
    db.close();
  }
}

/** Waits until the collector holds `atLeast` events; returns how many it held then. */
async function waitForAccepted(c: CollectorHandle, atLeast: number): Promise<number> {
  const client = adminClient(c);
  let held = 0;
  try {
    await until(
      `the collector to hold ${atLeast} events`,
      async () => (held = (await getStats(client)).eventsAccepted) >= atLeast,
      30_000,
      5,
    );
    return held;
  } finally {
    client.close();
  }
}

test('a collector killed with SIGKILL mid-stream and restarted ends up with every event once', async (t) => {
  const dir = tempDir('crash-collector');
  t.after(dir.cleanup);
  const input = manyLogons(COUNT);
  writeFileSync(join(dir.path, 'events.xml'), input.xml);
  let collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());
  const agent = startAgent(
    dir.path,
    {
      collectors: [{ name: 'main', address: collector.address }],
      sources: [{ format: 'windows-xml', path: 'events.xml', stampReadTime: true }],
      batchSize: 50,
      maxInFlight: 4,
      ackTimeout: '3s',
    },
    ['--until-delivered'],
  );
  t.after(() => agent.stop());

  const before = await waitForAccepted(collector, 1000);
  await collector.daemon.kill();
  assert.ok(before < COUNT, `killed mid-stream (${before} of ${COUNT} held)`);
  const port = collector.port;
  collector = await startCollector(dir.path, { port });
  assert.equal(await agent.exited, 0, `agent: ${agent.stderr.join('\n')}`);
  await collector.daemon.stop();

  const held = eventsHeld(dir.path);
  const story = [...agent.lines, ...collector.daemon.lines].filter((l) =>
    /connected|lost|welcome|stopped|delivered|progress|listening/.test(String(l.message)),
  );
  assert.deepEqual(
    { rows: held.rows, distinct: held.distinct, min: held.min, max: held.max },
    { rows: COUNT, distinct: COUNT, min: 1, max: COUNT },
    JSON.stringify(story),
  );
  assert.equal(held.users.size, COUNT, 'every distinct user arrived');
  assert.ok(
    agent.lines.some((l) => l.message === 'collector stream lost; reconnecting'),
    'the agent saw the collector go away',
  );
});

test('an agent killed with SIGKILL mid-stream and restarted loses and duplicates nothing', async (t) => {
  const dir = tempDir('crash-agent');
  t.after(dir.cleanup);
  writeFileSync(join(dir.path, 'events.xml'), manyLogons(COUNT).xml);
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());
  const config = {
    collectors: [{ name: 'main', address: collector.address }],
    sources: [{ format: 'windows-xml', path: 'events.xml', stampReadTime: true }],
    batchSize: 50,
    maxInFlight: 4,
    ackTimeout: '3s',
  };
  const first = startAgent(dir.path, config, ['--until-delivered']);
  t.after(() => first.kill());
  const before = await waitForAccepted(collector, 1000);
  await first.kill();
  assert.ok(before < COUNT, `killed mid-stream (${before} of ${COUNT} held)`);

  const second = startAgent(dir.path, config, ['--until-delivered']);
  t.after(() => second.stop());
  assert.equal(await second.exited, 0, `agent: ${second.stderr.join('\n')}`);
  await collector.daemon.stop();

  const held = eventsHeld(dir.path);
  assert.deepEqual(
    { rows: held.rows, distinct: held.distinct, min: held.min, max: held.max },
    { rows: COUNT, distinct: COUNT, min: 1, max: COUNT },
  );
  assert.equal(held.users.size, COUNT);
});
