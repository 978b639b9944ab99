/**
 * The columnar snapshot (SyncRequest.accept_columns): a replica that asks and an older client that
 * does not get the same table from the same collector, equal to the collector's own Lookup answers;
 * and a snapshot cut half-way leaves a replica's old table in place until a new one is complete.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { loadFsso, type Identity__Output, type IdentityServiceClient, type SyncMessage__Output } from '@fsso/common';
import { IdentityReplica, type ReplicaState } from '@fsso/firewall-client';
import { startFedCollector, type AgentStream } from '../support/agent-stream';
import { until } from '../support/grpc';
import { tempDir, type CollectorHandle } from '../support/processes';

function identityClient(c: CollectorHandle): IdentityServiceClient {
  return new (loadFsso().proto.fsso.v1.IdentityService)(c.address, c.credentials('firewall')) as IdentityServiceClient;
}

/** A raw Sync stream's snapshot, read whole. */
function rawSnapshot(client: IdentityServiceClient, acceptColumns: boolean): Promise<SyncMessage__Output[]> {
  return new Promise((resolve, reject) => {
    const messages: SyncMessage__Output[] = [];
    const call: grpc.ClientReadableStream<SyncMessage__Output> = client.sync({
      clientName: `raw columns=${acceptColumns}`,
      tableId: '',
      fromRevision: 0,
      acceptBatches: true,
      acceptColumns,
    });
    call.on('data', (m: SyncMessage__Output) => {
      messages.push(m);
      if (m.snapshotEnd) {
        call.cancel();
        resolve(messages);
      }
    });
    call.on('error', (e: grpc.ServiceError) => {
      if (!messages.some((m) => m.snapshotEnd)) reject(e);
    });
  });
}

function lookup(client: IdentityServiceClient, ip: string): Promise<Identity__Output> {
  return new Promise((resolve, reject) =>
    client.lookup({ ip }, (err: grpc.ServiceError | null, r?: Identity__Output) =>
      err || !r ? reject(err ?? new Error('no answer')) : resolve(r),
    ),
  );
}

async function logons(agent: AgentStream, n: number, user: (i: number) => string, ip: (i: number) => string) {
  for (let b = 0; b < n; b += 5000) {
    const events = [];
    for (let i = b; i < Math.min(n, b + 5000); i++) events.push({ user: user(i), domain: 'CORP', ip: ip(i) });
    const r = await agent.send(events);
    assert.ok(r.ok && r.message.ack, 'the batch is acknowledged');
  }
}

/** The i-th address of 198.18.0.0/15. */
const at = (i: number): string => `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

test('a replica that takes columns and an older client that does not hold the same table, equal to the collector Lookup answers', async (t) => {
  const dir = tempDir('sync-columns');
  t.after(dir.cleanup);
  const { collector, agent } = await startFedCollector(t, dir.path);
  // More than one chunk of columns, IPv6 addresses, and an address two users share.
  await logons(agent, 4500, (i) => `user${i}`, at);
  await logons(
    agent,
    20,
    (i) => `v6user${i}`,
    (i) => `2001:db8::${(i + 1).toString(16)}`,
  );
  const r = await agent.send([
    { user: 'carol', domain: 'CORP', ip: '198.19.200.1' },
    { user: 'dave', domain: 'CORP', ip: '198.19.200.1' },
  ]);
  assert.ok(r.ok && r.message.ack);

  const client = identityClient(collector);
  t.after(() => client.close());
  const older = await rawSnapshot(client, false);
  const newer = await rawSnapshot(client, true);
  assert.ok(!older.some((m) => m.snapshotColumns), 'an older client gets no SnapshotColumns');
  assert.ok(!newer.some((m) => m.snapshotChunk), 'a client that asks gets no SnapshotChunk');
  assert.ok(newer.filter((m) => m.snapshotColumns).length > 1, 'the table spans several column chunks');
  const oldTable = new Map(older.flatMap((m) => m.snapshotChunk?.entries ?? []).map((e) => [e.ip, e]));
  assert.equal(oldTable.size, 4500 + 20 + 1);

  const replica = new IdentityReplica({ address: collector.address, credentials: collector.credentials('firewall') });
  t.after(() => replica.stop());
  replica.start();
  await replica.whenReady();
  assert.equal(replica.size, oldTable.size);
  for (const [ip, e] of oldTable) assert.deepEqual(replica.lookupKey(ip)?.toObject(), e, `the same entry at ${ip}`);
  assert.deepEqual(
    JSON.parse(JSON.stringify(replica.lookup('198.18.0.7'))),
    oldTable.get('198.18.0.7'),
    'JSON shows every field',
  );

  const sample = [...oldTable.keys()].filter((ip, i) => i % 150 === 0 || ip.includes(':') || ip === '198.19.200.1');
  assert.ok(
    sample.some((ip) => ip.includes(':')),
    'the sample holds IPv6 addresses',
  );
  // A copy (toObject): the view itself is for reading before the next await.
  for (const ip of sample)
    assert.deepEqual(replica.lookup(ip)?.toObject(), await lookup(client, ip), `Lookup agrees at ${ip}`);
});

/** A TCP relay to `target()` whose next connection can be cut after `cutAfter` bytes from the server. */
async function relay(
  target: () => number,
): Promise<{ port: number; cutNextAfter(bytes: number): void; close(): void }> {
  let cutAfter = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const limit = cutAfter;
    cutAfter = 0;
    const upstream = connect(target(), '127.0.0.1');
    sockets.add(client).add(upstream);
    let sent = 0;
    client.pipe(upstream);
    upstream.on('data', (b: Buffer) => {
      sent += b.length;
      client.write(b);
      if (limit > 0 && sent >= limit) {
        client.destroy();
        upstream.destroy();
      }
    });
    const done = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    port: address.port,
    cutNextAfter: (bytes) => (cutAfter = bytes),
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test('a snapshot cut half-way leaves the old table in place until a new one is complete', async (t) => {
  const dirA = tempDir('sync-columns-a');
  const dirB = tempDir('sync-columns-b');
  t.after(dirA.cleanup);
  t.after(dirB.cleanup);
  const a = await startFedCollector(t, dirA.path);
  const b = await startFedCollector(t, dirB.path);
  const N = 30_000;
  await logons(a.agent, N, (i) => `a-user${i}`, at);
  await logons(b.agent, N, (i) => `b-user${i}`, at);
  let port = Number(a.collector.address.split(':')[1]);
  const r = await relay(() => port);
  t.after(() => r.close());

  const replica = new IdentityReplica({
    address: `127.0.0.1:${r.port}`,
    credentials: a.collector.credentials('firewall'),
  });
  t.after(() => replica.stop());
  const states: ReplicaState[] = [];
  let snapshots = 0;
  replica.on('state', (s: ReplicaState) => states.push(s));
  replica.on('snapshot', () => snapshots++);
  replica.start();
  await replica.whenReady();
  assert.equal(replica.lookup(at(5))?.user, 'a-user5');
  assert.equal(snapshots, 1);

  // The replica's next stream goes to B (another table id, so a snapshot) and is cut part-way.
  port = Number(b.collector.address.split(':')[1]);
  r.cutNextAfter(200_000);
  states.length = 0;
  await a.collector.daemon.stop();
  await until(
    'the cut stream began a snapshot and was lost',
    () => states.includes('SYNCING') && states.at(-1) !== 'SYNCING',
    20_000,
    5,
  );
  assert.equal(snapshots, 1, 'no half table was installed');
  assert.equal(replica.size, N);
  assert.equal(replica.lookup(at(5))?.user, 'a-user5', 'the old table answers meanwhile');
  assert.equal(replica.lookup(at(N - 1))?.user, `a-user${N - 1}`);

  await until('the next stream brings the whole new table', () => snapshots === 2, 20_000, 20);
  assert.equal(replica.size, N);
  assert.equal(replica.lookup(at(5))?.user, 'b-user5');
  assert.equal(replica.lookup(at(N - 1))?.user, `b-user${N - 1}`);
});
