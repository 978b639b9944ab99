import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { untilLoaded, type TableLoad } from '../src/server/until-loaded';

/** A load the test finishes (or fails) when it wants. */
function manualLoad(rows: number) {
  let done = false;
  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  const settled = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  settled.catch(() => undefined);
  const load: TableLoad = { done: () => done, progress: () => rows, settled };
  return {
    load,
    finish: () => ((done = true), settle.resolve()),
    fail: (e: Error) => settle.reject(e),
  };
}

function call(deadlineMs: number, cancelled = false) {
  return { cancelled, getDeadline: () => (Number.isFinite(deadlineMs) ? new Date(Date.now() + deadlineMs) : Infinity) };
}

type Answer = { err: Partial<grpc.StatusObject> | null; res?: unknown };

function answered(): { cb: (err: Partial<grpc.StatusObject> | null, res?: unknown) => void; next: Promise<Answer> } {
  let resolve!: (a: Answer) => void;
  const next = new Promise<Answer>((r) => (resolve = r));
  return { cb: (err, res) => resolve({ err, res }), next };
}

test('a held call runs once the table is loaded; Lookup (named in now) runs at once', async () => {
  const m = manualLoad(10);
  const ran: string[] = [];
  const h = untilLoaded(
    {
      Lookup: (_c: unknown, cb: (e: null, r: string) => void) => (ran.push('Lookup'), cb(null, 'now')),
      GetStats: (_c: unknown, cb: (e: null, r: string) => void) => (ran.push('GetStats'), cb(null, 'later')),
    },
    m.load,
    ['Lookup'],
  );
  const a = answered();
  const b = answered();
  h.Lookup(call(Infinity), a.cb as never);
  h.GetStats(call(Infinity), b.cb as never);
  assert.deepEqual(ran, ['Lookup']);
  m.finish();
  assert.deepEqual(await b.next, { err: null, res: 'later' });
  assert.deepEqual(ran, ['Lookup', 'GetStats']);
  assert.deepEqual((await a.next).res, 'now');
});

test('a unary call whose deadline comes before the load ends is told the table is still loading, and never runs', async () => {
  const m = manualLoad(123_456);
  let ran = false;
  const h = untilLoaded({ GetStats: (..._a: unknown[]) => (ran = true) }, m.load);
  const a = answered();
  h.GetStats(call(300) as never, a.cb as never);
  // The collector's server keeps the process alive; here a timer does (the early answer's is unref'd).
  const alive = setTimeout(() => undefined, 5000);
  const r = await a.next;
  clearTimeout(alive);
  assert.equal(r.err?.code, grpc.status.UNAVAILABLE);
  assert.equal(
    r.err?.details,
    'the collector is still loading its table (123,456 rows so far); try again in a few seconds',
  );
  m.finish();
  await new Promise((res) => setImmediate(res));
  assert.equal(ran, false);
});

test('a call cancelled while held never runs; a failed load ends held calls UNAVAILABLE with the reason', async () => {
  const m = manualLoad(0);
  let ran = 0;
  const h = untilLoaded({ Report: (..._a: unknown[]) => ran++, GetStats: (..._a: unknown[]) => ran++ }, m.load);
  h.Report(call(Infinity, true) as never);
  const a = answered();
  h.GetStats(call(Infinity) as never, a.cb as never);
  m.fail(new Error('database disk image is malformed'));
  const r = await a.next;
  assert.equal(r.err?.code, grpc.status.UNAVAILABLE);
  assert.match(String(r.err?.details), /could not load its table \(database disk image is malformed\)/);
  assert.equal(ran, 0);
});
