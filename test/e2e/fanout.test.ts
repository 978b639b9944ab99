import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, DEMO_SAMPLE } from '../support/paths';
import { runCommand, startAgent, startCollector, tempDir } from '../support/processes';
import { adminClient, getStats, until } from '../support/grpc';

/** A free loopback port: bound and released, for a collector that starts later. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

test('one agent feeds two collectors; one being down never holds back the other', async (t) => {
  const dir = tempDir('fanout');
  t.after(dir.cleanup);
  mkdirSync(join(dir.path, 'a'));
  mkdirSync(join(dir.path, 'b'));
  const a = await startCollector(join(dir.path, 'a'));
  t.after(() => a.daemon.stop());
  const bPort = await freePort();

  const agent = startAgent(dir.path, {
    collectors: [
      { name: 'site-a', address: a.address },
      { name: 'site-b', address: `127.0.0.1:${bPort}` },
    ],
    sources: [{ format: 'windows-xml', path: DEMO_SAMPLE, stampReadTime: true }],
  });
  t.after(() => agent.stop());
  type Status = { head: number; held: number; collectors: { collector: string; backlog: number }[] };
  const spoolStatus = async (): Promise<Status> =>
    JSON.parse(
      (await runCommand(BIN.agent, ['status', '--config', join(dir.path, 'agent.json'), '--json'])).stdout,
    ) as Status;

  // Collector B does not exist yet: A still receives everything the agent spooled.
  let status = await spoolStatus();
  await until(
    'collector A to acknowledge everything',
    async () => {
      status = await spoolStatus();
      return status.head > 0 && status.collectors[0]?.backlog === 0;
    },
    30_000,
    200,
  );
  const total = status.head;
  const clientA = adminClient(a);
  t.after(() => clientA.close());
  assert.equal((await getStats(clientA)).eventsAccepted, total);
  assert.deepEqual(
    status.collectors.map((c) => [c.collector, c.backlog]),
    [
      ['site-a', 0],
      ['site-b', total],
    ],
  );
  assert.equal(status.held, total, 'the spool keeps every event for the collector that has not acknowledged it');

  // B comes up: it receives the same events from its own cursor, and the spool empties.
  const b = await startCollector(join(dir.path, 'b'), { port: bPort });
  await until('the spool to empty', async () => (await spoolStatus()).held === 0, 30_000, 200);
  t.after(() => b.daemon.stop());
  const clientB = adminClient(b);
  t.after(() => clientB.close());
  await until('collector B to catch up', async () => (await getStats(clientB)).eventsAccepted === total, 30_000, 50);
  const tableA = JSON.parse((await runCommand(BIN.ctl, ['logons', '--json', ...a.args()])).stdout) as {
    ip: string;
    user: string;
  }[];
  const tableB = JSON.parse((await runCommand(BIN.ctl, ['logons', '--json', ...b.args()])).stdout) as {
    ip: string;
    user: string;
  }[];
  assert.deepEqual(
    tableB.map((r) => [r.ip, r.user]),
    tableA.map((r) => [r.ip, r.user]),
  );
  assert.ok(tableA.length > 0);
});
