import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Change } from '@fsso/common';
import { SyncQueue } from '../src/sync/queue';

const change = (
  revision: number,
  ip: string,
  op: 'UPSERT' | 'DELETE' = 'UPSERT',
): { change: Change; bytes: number } => ({
  change: { revision, op, ip, reason: op === 'UPSERT' ? 'logon' : 'logoff', identity: null },
  bytes: 100,
});

function drain(q: SyncQueue): { revision: number; ip: string }[][] {
  const out: { revision: number; ip: string }[][] = [];
  for (let m = q.shift(); m; m = q.shift())
    out.push((m.m.changeBatch?.changes ?? []).map((c) => ({ revision: Number(c.revision), ip: c.ip ?? '' })));
  return out;
}

test('a committed batch is one message; a reader that keeps up gets every change', () => {
  const q = new SyncQueue();
  q.pushBatch([change(1, '10.0.0.1'), change(2, '10.0.0.2')]);
  assert.deepEqual(drain(q), [
    [
      { revision: 1, ip: '10.0.0.1' },
      { revision: 2, ip: '10.0.0.2' },
    ],
  ]);
  q.pushBatch([change(3, '10.0.0.1')]);
  assert.deepEqual(drain(q), [[{ revision: 3, ip: '10.0.0.1' }]]);
  assert.equal(q.coalesced, 0);
  assert.equal(q.bytes, 0);
});

test('while the reader is behind, an address changed again is sent once, newest, and revisions stay in order', () => {
  const q = new SyncQueue();
  q.pushBatch([change(1, '10.0.0.1'), change(2, '10.0.0.2'), change(3, '10.0.0.3')]);
  const added = q.pushBatch([change(4, '10.0.0.1', 'DELETE'), change(5, '10.0.0.4')]);
  // The overtaken change's bytes leave the queue: 2 new changes in, 1 old one out.
  assert.equal(added, 106);
  q.pushBatch([change(6, '10.0.0.1')]);
  const sent = drain(q).flat();
  assert.deepEqual(sent, [
    { revision: 2, ip: '10.0.0.2' },
    { revision: 3, ip: '10.0.0.3' },
    { revision: 5, ip: '10.0.0.4' },
    { revision: 6, ip: '10.0.0.1' },
  ]);
  for (let i = 1; i < sent.length; i++) assert.ok((sent[i]?.revision ?? 0) > (sent[i - 1]?.revision ?? 0));
  assert.equal(q.coalesced, 2);
  assert.equal(q.bytes, 0);
});

test('other messages (heartbeats) keep their place; a batch emptied by coalescing is skipped', () => {
  const q = new SyncQueue();
  q.pushBatch([change(1, '10.0.0.1')]);
  q.push({ heartbeat: { revision: 1 } }, 10);
  q.pushBatch([change(2, '10.0.0.1')]);
  const first = q.shift();
  assert.ok(first?.m.heartbeat, 'the batch whose only change was overtaken is not sent');
  assert.equal(first?.bytes, 10);
  assert.deepEqual(drain(q), [[{ revision: 2, ip: '10.0.0.1' }]]);
  assert.equal(q.length, 0);
});

test('a long queue drains in order without copying per message, and clear() empties it', () => {
  const q = new SyncQueue();
  for (let i = 1; i <= 5000; i++) q.push({ heartbeat: { revision: i } }, 1);
  let last = 0;
  for (let m = q.shift(); m; m = q.shift()) {
    assert.equal(Number(m.m.heartbeat?.revision), last + 1);
    last++;
  }
  assert.equal(last, 5000);
  q.pushBatch([change(1, '10.0.0.1')]);
  q.clear();
  assert.equal(q.shift(), undefined);
  assert.equal(q.bytes, 0);
});
