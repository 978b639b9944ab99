/**
 * Sync resume over the derived change log (schema migration 8): the changes after a replica's
 * revision are read from the entries' own revisions plus the tombstones of deleted and expired
 * addresses. A replica resuming must end with exactly the collector's table, in revision order,
 * and one resuming from before the kept history must get a snapshot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as grpc from '@grpc/grpc-js';
import { loadFsso, type Event, type IdentityServiceClient, type SyncMessage__Output } from '@fsso/common';
import { AgentStream } from '../support/agent-stream';
import { until } from '../support/grpc';
import { testPki } from '../support/pki';
import { startCollector, tempDir, type CollectorHandle } from '../support/processes';

const at = (i: number): string => `198.18.${(i >> 8) & 255}.${i & 255}`;

/** A raw Sync stream (what a replica speaks) that records every message it reads. */
class SyncReader {
  readonly messages: SyncMessage__Output[] = [];
  readonly call: grpc.ClientReadableStream<SyncMessage__Output>;
  constructor(client: IdentityServiceClient, tableId = '', fromRevision = 0) {
    this.call = client.sync({ clientName: 'resume test', tableId, fromRevision, acceptBatches: false });
    this.call.on('data', (m: SyncMessage__Output) => this.messages.push(m));
    this.call.on('error', () => undefined);
  }
  snapshot(): { tableId: string; revision: number; table: Map<string, string> } | undefined {
    const end = this.messages.find((m) => m.snapshotEnd)?.snapshotEnd;
    const begin = this.messages.find((m) => m.snapshotBegin)?.snapshotBegin;
    if (!end || !begin) return undefined;
    const entries = this.messages.flatMap((m) => m.snapshotChunk?.entries ?? []);
    return { tableId: begin.tableId, revision: end.revision, table: new Map(entries.map((e) => [e.ip, e.user])) };
  }
  lastRevision(): number {
    return this.messages.reduce((r, m) => Math.max(r, m.change?.revision ?? 0), 0);
  }
}

async function setup(t: { after: (fn: () => unknown) => void }, config: Record<string, unknown>) {
  const dir = tempDir('sync-resume');
  t.after(dir.cleanup);
  const collector: CollectorHandle = await startCollector(dir.path, {
    config: { durability: 'normal', sweepInterval: '200ms', ...config },
  });
  t.after(() => collector.daemon.stop());
  const client = new (loadFsso().proto.fsso.v1.IdentityService)(
    collector.address,
    collector.credentials('firewall'),
  ) as IdentityServiceClient;
  t.after(() => client.close());
  const pki = testPki();
  const agent = new AgentStream(collector.address, pki.ca, pki.agent);
  t.after(() => agent.close());
  const hello = await agent.hello('dc1', ['CORP']);
  assert.ok(hello.ok && hello.message.welcome, 'the agent is welcomed');
  const snapshot = async (): Promise<NonNullable<ReturnType<SyncReader['snapshot']>>> => {
    const r = new SyncReader(client);
    try {
      await until('a snapshot', () => r.snapshot() !== undefined, 10_000, 20);
      return r.snapshot() ?? assert.fail('no snapshot');
    } finally {
      r.call.cancel();
    }
  };
  return { collector, client, agent, snapshot };
}

const logon = (i: number, user: string, eventTimeMs = Date.now()): Partial<Event> => ({
  kind: 'USER_LOGON',
  user,
  domain: 'CORP',
  ip: at(i),
  eventTimeMs,
});

test('a replica resuming after replacements, new addresses, logoffs, expiry and a re-logon ends equal to the table, in revision order', async (t) => {
  const { client, agent, snapshot } = await setup(t, { deadEntryTimeout: '20s' });
  await agent.sendAcked(Array.from({ length: 40 }, (_, i) => logon(i, `user${i}`)));
  const before = await snapshot();
  assert.equal(before.table.size, 40);

  // While the replica is away: holders replaced, new addresses, logoffs, a re-logon after a
  // logoff, and addresses whose evidence is a second short of deadEntryTimeout (expired by the sweep).
  await agent.sendAcked(Array.from({ length: 10 }, (_, i) => logon(i, `other${i}`)));
  await agent.sendAcked(Array.from({ length: 10 }, (_, i) => logon(40 + i, `new${i}`)));
  await agent.sendAcked(
    Array.from({ length: 5 }, (_, i) => ({ ...logon(10 + i, `user${10 + i}`), kind: 'USER_LOGOFF' })),
  );
  await agent.sendAcked([logon(10, 'back10')]);
  await agent.sendAcked(Array.from({ length: 5 }, (_, i) => logon(60 + i, `stale${i}`, Date.now() - 19_000)));
  let now = await snapshot();
  await until(
    'the sweep expired the stale addresses',
    async () => {
      now = await snapshot();
      return [60, 61, 62, 63, 64].every((i) => !now.table.has(at(i)));
    },
    10_000,
    100,
  );

  const resumed = new SyncReader(client, before.tableId, before.revision);
  t.after(() => resumed.call.cancel());
  await until('the resumed stream caught up', () => resumed.lastRevision() >= now.revision, 10_000, 20);
  assert.ok(resumed.messages[0]?.resume, 'resumed, not a snapshot');
  assert.ok(!resumed.messages.some((m) => m.snapshotBegin), 'no snapshot');
  const changes = resumed.messages.flatMap((m) => (m.change ? [m.change] : []));
  for (let i = 1; i < changes.length; i++)
    assert.ok((changes[i]?.revision ?? 0) > (changes[i - 1]?.revision ?? 0), 'revisions only grow');
  assert.ok(
    changes.some((c) => c.op === 'DELETE' && c.reason === 'expired'),
    'expiry reaches the replica',
  );
  assert.ok(
    changes.some((c) => c.op === 'DELETE' && c.ip === at(11)),
    'a logoff reaches the replica',
  );
  const replica = new Map(before.table);
  for (const c of changes) {
    if (c.op === 'UPSERT') replica.set(c.ip, c.identity?.user ?? '');
    else replica.delete(c.ip);
  }
  assert.deepEqual(replica, now.table, 'the resumed replica ends equal to the table');
  assert.equal(replica.get(at(10)), 'back10');
  assert.equal(replica.get(at(3)), 'other3');
});

test('a replica resuming from before the kept history (syncHistory) gets a snapshot of the table', async (t) => {
  const { client, agent, snapshot } = await setup(t, { syncHistory: 100 });
  await agent.sendAcked(Array.from({ length: 10 }, (_, i) => logon(i, `user${i}`)));
  const before = await snapshot();
  // 150 revisions after it, then a sweep prunes everything but the newest 100.
  await agent.sendAcked(Array.from({ length: 150 }, (_, i) => logon(100 + i, `user${100 + i}`)));
  await new Promise((r) => setTimeout(r, 600));
  const now = await snapshot();
  const late = new SyncReader(client, before.tableId, before.revision);
  t.after(() => late.call.cancel());
  await until('the late stream has a snapshot', () => late.snapshot() !== undefined, 10_000, 20);
  assert.ok(!late.messages.some((m) => m.resume), 'not resumed: its revision is older than the kept history');
  assert.deepEqual(late.snapshot()?.table, now.table);
});
