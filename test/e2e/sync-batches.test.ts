import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as grpc from '@grpc/grpc-js';
import {
  loadFsso,
  type Change__Output,
  type Event,
  type IdentityServiceClient,
  type SyncMessage__Output,
} from '@fsso/common';
import { IdentityReplica } from '@fsso/firewall-client';
import { AgentStream } from '../support/agent-stream';
import { adminClient, getStats, until } from '../support/grpc';
import { testPki } from '../support/pki';
import { startCollector, tempDir, type CollectorHandle } from '../support/processes';

/** A raw Sync stream that records every message it reads. */
class SyncReader {
  readonly messages: SyncMessage__Output[] = [];
  readonly call: grpc.ClientReadableStream<SyncMessage__Output>;
  constructor(client: IdentityServiceClient, acceptBatches: boolean) {
    this.call = client.sync({
      clientName: `raw batches=${acceptBatches}`,
      tableId: '',
      fromRevision: 0,
      acceptBatches,
    });
    this.call.on('data', (m: SyncMessage__Output) => this.messages.push(m));
    this.call.on('error', () => undefined);
  }
  /** Every change read, in the order read, whether single or in batches. */
  changes(): Change__Output[] {
    return this.messages.flatMap((m) => (m.change ? [m.change] : (m.changeBatch?.changes ?? [])));
  }
  snapshotEnded(): boolean {
    return this.messages.some((m) => m.snapshotEnd);
  }
}

function identityClient(c: CollectorHandle): IdentityServiceClient {
  return new (loadFsso().proto.fsso.v1.IdentityService)(c.address, c.credentials('firewall')) as IdentityServiceClient;
}

async function agent(c: CollectorHandle): Promise<AgentStream> {
  const pki = testPki();
  const a = new AgentStream(c.address, pki.ca, pki.agent);
  const r = await a.hello('dc1', ['CORP']);
  assert.ok(r.ok && r.message.welcome, 'the agent is welcomed');
  return a;
}

/** The i-th address of 198.18.0.0/15 (i < 131 072). */
const at = (i: number): string => `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

test('a replica that asks gets one ChangeBatch per committed batch; an older client still gets single Change messages', async (t) => {
  const dir = tempDir('sync-batches');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());
  const client = identityClient(collector);
  t.after(() => client.close());
  const batched = new SyncReader(client, true);
  const single = new SyncReader(client, false);
  t.after(() => {
    batched.call.cancel();
    single.call.cancel();
  });
  await until(
    'both streams have the (empty) table',
    () => batched.snapshotEnded() && single.snapshotEnded(),
    10_000,
    20,
  );

  const a = await agent(collector);
  t.after(() => a.close());
  const ack = await a.send(
    [0, 1, 2].map((i) => ({ kind: 'USER_LOGON', user: `alice${i}`, domain: 'CORP', ip: at(i) })),
  );
  assert.ok(ack.ok && ack.message.ack, 'the batch is acknowledged');
  await until(
    'both streams have the three changes',
    () => batched.changes().length === 3 && single.changes().length === 3,
    10_000,
    20,
  );

  const batches = batched.messages.filter((m) => m.changeBatch);
  assert.equal(batches.length, 1, 'one message for the committed batch');
  assert.equal(batched.messages.filter((m) => m.change).length, 0);
  assert.equal(single.messages.filter((m) => m.changeBatch).length, 0, 'no ChangeBatch for a client that did not ask');
  assert.equal(single.messages.filter((m) => m.change).length, 3);
  const view = (cs: Change__Output[]): string[] => cs.map((c) => `${c.revision} ${c.op} ${c.ip} ${c.identity?.user}`);
  assert.deepEqual(view(batched.changes()), view(single.changes()), 'the same changes, in the same order');

  // The product's replica asks for batches and applies them as single 'change' events.
  const replica = new IdentityReplica({ address: collector.address, credentials: collector.credentials('firewall') });
  t.after(() => replica.stop());
  const events: string[] = [];
  replica.on('change', (c: { op: string; ip: string; identity?: { user: string } }) =>
    events.push(`${c.op} ${c.ip} ${c.identity?.user}`),
  );
  replica.start();
  await replica.whenReady();
  await a.send([
    { kind: 'USER_LOGOFF', user: 'alice1', domain: 'CORP', ip: at(1) },
    { kind: 'USER_LOGON', user: 'bob', domain: 'CORP', ip: at(3) },
  ]);
  await until('the replica applied the batch', () => events.length === 2, 10_000, 20);
  assert.deepEqual(events, [`DELETE ${at(1)} alice1`, `UPSERT ${at(3)} bob`]);
  assert.equal(replica.lookup(at(3))?.user, 'bob');
  assert.equal(replica.lookup(at(1)), undefined);
  assert.equal(replica.size, 3);
});

test('a replica that falls behind gets each address once with its newest state, in revision order, and ends equal to the table', async (t) => {
  const dir = tempDir('sync-coalesce');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path, { config: { durability: 'normal' } });
  t.after(() => collector.daemon.stop());
  const client = identityClient(collector);
  t.after(() => client.close());
  const slow = new SyncReader(client, true);
  t.after(() => slow.call.cancel());
  await until('the slow stream has the (empty) table', () => slow.snapshotEnded(), 10_000, 20);
  slow.call.pause(); // it stops reading: HTTP/2 flow control backs the changes up into the collector

  // 81 batches, each logging the same 500 users on (even batches) or off (odd ones) at their
  // addresses: 40 500 changes of 500 addresses, ending with everyone logged on.
  const ADDRESSES = 500;
  const BATCHES = 81;
  const a = await agent(collector);
  t.after(() => a.close());
  const start = Date.now() - 60_000;
  for (let b = 0; b < BATCHES; b++) {
    const events: Partial<Event>[] = [];
    for (let i = 0; i < ADDRESSES; i++)
      events.push({
        kind: b % 2 === 0 ? 'USER_LOGON' : 'USER_LOGOFF',
        user: `user${i}`,
        domain: 'CORP',
        ip: at(i),
        eventTimeMs: start + b * 10,
      });
    const r = await a.send(events);
    assert.ok(r.ok && r.message.ack, `batch ${b} is acknowledged`);
  }
  // What a fresh replica sees now: the table the slow one must end up equal to.
  const fresh = new SyncReader(client, true);
  t.after(() => fresh.call.cancel());
  await until('a fresh stream has the table', () => fresh.snapshotEnded(), 10_000, 20);
  const end = fresh.messages.find((m) => m.snapshotEnd)?.snapshotEnd?.revision ?? 0;
  const table = new Map(fresh.messages.flatMap((m) => m.snapshotChunk?.entries ?? []).map((e) => [e.ip, e.user]));
  assert.equal(table.size, ADDRESSES);

  slow.call.resume();
  await until('the slow stream caught up', () => (slow.changes().at(-1)?.revision ?? 0) >= end, 30_000, 50);
  const changes = slow.changes();
  for (let i = 1; i < changes.length; i++)
    assert.ok((changes[i]?.revision ?? 0) > (changes[i - 1]?.revision ?? 0), 'revisions only grow');
  for (const m of slow.messages.filter((x) => x.changeBatch)) {
    const ips = (m.changeBatch?.changes ?? []).map((c) => c.ip);
    assert.equal(new Set(ips).size, ips.length, 'an address appears once per batch');
  }
  const replica = new Map<string, string>();
  for (const c of changes) {
    if (c.op === 'UPSERT') replica.set(c.ip, c.identity?.user ?? '');
    else replica.delete(c.ip);
  }
  assert.deepEqual(replica, table, 'the slow replica ends equal to the table');
  const total = ADDRESSES * BATCHES;
  assert.ok(
    changes.length < total,
    `changes overtaken while it was behind were coalesced (${changes.length} of ${total} sent)`,
  );
  t.diagnostic(
    `${changes.length} of ${total} changes sent to the slow stream, in ${slow.messages.filter((x) => x.changeBatch).length} batches`,
  );
});

test('a replica taking batches that stops reading while new addresses keep changing is still cut at limits.maxSyncBufferBytes, with the log line and the counter; a reading replica keeps up', async (t) => {
  const dir = tempDir('sync-batch-stuck');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path, {
    config: { durability: 'normal', limits: { maxSyncBufferBytes: 2 * 1024 * 1024 } },
  });
  t.after(() => collector.daemon.stop());
  const client = identityClient(collector);
  t.after(() => client.close());
  const stuck = new SyncReader(client, true);
  t.after(() => stuck.call.cancel());
  await until('the stuck stream has the (empty) table', () => stuck.snapshotEnded(), 10_000, 20);
  stuck.call.pause();
  const replica = new IdentityReplica({
    address: collector.address,
    credentials: collector.credentials('firewall'),
    clientName: 'reading-firewall',
  });
  t.after(() => replica.stop());
  replica.start();
  await replica.whenReady();

  const line = collector.daemon.waitFor(
    (l) => l.message === 'sync client not reading; its stream ends so it resumes later',
    60_000,
  );
  let cut = false;
  void line.then(
    () => (cut = true),
    () => undefined,
  );
  // Coalescing cannot help here: every change is of a new address.
  const a = await agent(collector);
  t.after(() => a.close());
  let sent = 0;
  for (let round = 0; !cut && round < 40; round++) {
    const events: Partial<Event>[] = [];
    for (let i = 0; i < 2500; i++, sent++)
      events.push({ kind: 'USER_LOGON', user: `churn${sent}`, domain: 'CORP', ip: at(sent) });
    const r = await a.send(events);
    assert.ok(r.ok && r.message.ack, `round ${round} is acknowledged`);
  }
  const l = await line;
  assert.equal(l['client'], 'raw batches=true');
  assert.equal(l['limit'], 'limits.maxSyncBufferBytes');
  const ended = new Promise<grpc.ServiceError>((resolve) => stuck.call.on('error', resolve));
  stuck.call.resume();
  const err = await ended;
  assert.equal(err.code, 8, 'RESOURCE_EXHAUSTED');
  assert.match(
    err.details,
    /the client is not reading: \d+ bytes queued for it, over limits\.maxSyncBufferBytes \(2097152\)/,
  );
  const admin = adminClient(collector);
  t.after(() => admin.close());
  const s = await getStats(admin);
  assert.ok((s.limitHits['maxSyncBufferBytes'] ?? 0) >= 1, 'counted in fssoctl stats');
  await until('the reading replica holds every entry', () => replica.size === sent, 30_000, 50);
  assert.equal(replica.state, 'LIVE');
  assert.equal(replica.lookup(at(sent - 1))?.user, `churn${sent - 1}`);
});
