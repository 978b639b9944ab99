import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadFsso, type AgentServiceClient, type CollectorMessage__Output } from '@fsso/common';
import { BIN } from '../support/paths';
import { runCommand, startCollector, tempDir } from '../support/processes';
import { agentClient } from '../support/flood';

/** Opens an agent stream, sends a hello and one batch, and returns the ack or the error. */
function sendBatch(
  client: AgentServiceClient,
  agentId: string,
  events: number,
  startSeq = 1,
): Promise<{ ack?: CollectorMessage__Output['ack']; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const s = client.report();
    s.on('data', (m: CollectorMessage__Output) => {
      if (m.ack) {
        s.end();
        resolve({ ack: m.ack });
      }
    });
    s.on('error', (error: grpc.ServiceError) => resolve({ error }));
    s.write({
      hello: {
        agentId,
        domains: [],
        hostname: agentId,
        version: 'test',
        spoolId: agentId,
        headSeq: startSeq + events - 1,
      },
    });
    const now = Date.now();
    s.write({
      batch: {
        events: Array.from({ length: events }, (_, i) => ({
          seq: startSeq + i,
          kind: 'USER_LOGON' as const,
          user: `u${i}`,
          domain: 'CORP',
          ip: `198.18.${Math.floor(i / 250) % 256}.${(i % 250) + 1}`,
          eventTimeMs: now,
          source: 'test',
          sourceEventId: '4624',
          logonType: 3,
        })),
        headSeq: startSeq + events - 1,
      },
    });
  });
}

test('limits refuse whole batches with a clear error and a counter, never a partial write', async (t) => {
  const dir = tempDir('limits');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path, {
    config: { limits: { maxBatchEvents: 100, maxEventsPerSecond: 150, maxStreams: 3 } },
  });
  t.after(() => collector.daemon.stop());
  const { proto } = loadFsso();
  const client = new proto.fsso.v1.AgentService(
    collector.address,
    collector.credentials('agent'),
  ) as AgentServiceClient;
  t.after(() => client.close());

  // 'dc1' is the test agent certificate's id; a hello naming another id would be refused.
  const big = await sendBatch(client, 'dc1', 101);
  assert.equal(big.error?.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(big.error?.details ?? '', /batch of 101 events is over limits\.maxBatchEvents \(100\)/);

  const ok = await sendBatch(client, 'dc1', 100);
  assert.equal(ok.ack?.accepted, 100);
  const fast = await sendBatch(client, 'dc1', 100, 101);
  assert.equal(fast.error?.code, grpc.status.RESOURCE_EXHAUSTED, 'a second 100 within the same second is over 150/s');
  assert.match(fast.error?.details ?? '', /limits\.maxEventsPerSecond/);

  const stats = JSON.parse((await runCommand(BIN.ctl, ['stats', '--json', ...collector.args()])).stdout) as {
    eventsAccepted: number;
    limitHits: Record<string, number>;
    state: string;
  };
  assert.equal(stats.eventsAccepted, 100, 'nothing of the refused batches was written');
  assert.deepEqual(stats.limitHits, { maxBatchEvents: 1, maxEventsPerSecond: 1 });
  assert.equal(stats.state, 'RUNNING');
});

test('a message over limits.maxMessageBytes is refused with the limit named, and counted like the other limits', async (t) => {
  const dir = tempDir('limits-size');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path, { config: { limits: { maxMessageBytes: 65_536 } } });
  t.after(() => collector.daemon.stop());
  const big = await sendBatch(agentClient(collector.address, 'dc-big'), 'dc-big', 2000);
  assert.equal(big.error?.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(
    big.error?.details ?? '',
    /^Received message larger than max \(\d+ vs 65536\): over limits\.maxMessageBytes \(65536\); send smaller messages/,
  );
  const small = await sendBatch(agentClient(collector.address, 'dc-small'), 'dc-small', 10);
  assert.equal(small.ack?.accepted, 10, 'the next sender is unaffected');
  const stats = JSON.parse((await runCommand(BIN.ctl, ['stats', '--json', ...collector.args()])).stdout) as {
    limitHits: Record<string, number>;
  };
  assert.deepEqual(stats.limitHits, { maxMessageBytes: 1 });
  const line = await collector.daemon.waitFor(
    (l) => l.message === 'messages refused by limits.maxMessageBytes: 1 in the last 10 s',
  );
  assert.equal(line.level, 'warn');
});

test('agent records not heard from for agentRetention are removed by the sweep; a connected agent stays', async (t) => {
  const dir = tempDir('limits-retention');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path, { config: { agentRetention: '1s', sweepInterval: '250ms' } });
  t.after(() => collector.daemon.stop());
  assert.equal((await sendBatch(agentClient(collector.address, 'dc-gone'), 'dc-gone', 1)).ack?.accepted, 1);
  // dc-live keeps its stream open for the whole test.
  const live = agentClient(collector.address, 'dc-live').report();
  t.after(() => live.cancel());
  live.on('error', () => undefined);
  const welcomed = new Promise<void>((resolve) =>
    live.on('data', (m: CollectorMessage__Output) => m.welcome && resolve()),
  );
  live.write({
    hello: { agentId: 'dc-live', domains: [], hostname: 'dc-live', version: 'test', spoolId: 'live', headSeq: 0 },
  });
  await welcomed;
  const line = await collector.daemon.waitFor(
    (l) => l.message === 'agents removed after agentRetention without contact',
    10_000,
  );
  assert.deepEqual(line['agents'], ['dc-gone']);
  const agents = JSON.parse((await runCommand(BIN.ctl, ['agents', '--json', ...collector.args()])).stdout) as {
    agentId: string;
  }[];
  assert.deepEqual(
    agents.map((a) => a.agentId),
    ['dc-live'],
  );
});
