import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import {
  ConfigError,
  ReconnectingStream,
  loadFsso,
  type IdentityServiceClient,
  type SilenceWatchdog,
  type StreamLoss,
  type StreamState,
  type SyncMessage,
  type SyncMessage__Output,
  type SyncRequest__Output,
} from '../src/index';

/*
 * The loop against a real grpc-js server on 127.0.0.1:0 speaking the real IdentityService.Sync;
 * each test gives the server's Sync handler a behaviour (refuse, end, hang, beat).
 */

type SyncCall = grpc.ServerWritableStream<SyncRequest__Output, SyncMessage>;

async function serve(
  t: TestContext,
  sync: (call: SyncCall) => void,
  port = 0,
): Promise<{ port: number; server: grpc.Server }> {
  const server = new grpc.Server();
  server.addService(loadFsso().proto.fsso.v1.IdentityService.service, { Sync: sync });
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  t.after(() => server.forceShutdown());
  return { port: bound, server };
}

interface Probe {
  stream: ReconnectingStream<
    IdentityServiceClient,
    grpc.ClientReadableStream<SyncMessage__Output>,
    SyncMessage__Output
  >;
  opened: number;
  losses: StreamLoss[];
  states: StreamState[];
  messages: SyncMessage__Output[];
}

interface ProbeOptions {
  backoff?: { initialMs: number; maxMs: number };
  watchdog?: SilenceWatchdog;
  onLost?: (loss: StreamLoss, p: Probe) => void;
  onMessage?: (m: SyncMessage__Output, p: Probe) => void;
}

function probe(t: TestContext, port: number, o: ProbeOptions = {}): Probe {
  const p: Probe = { opened: 0, losses: [], states: [], messages: [] } as unknown as Probe;
  p.stream = new ReconnectingStream({
    address: `127.0.0.1:${port}`,
    credentials: grpc.credentials.createInsecure(),
    makeClient: (a, c, opts) => new (loadFsso().proto.fsso.v1.IdentityService)(a, c, opts) as IdentityServiceClient,
    backoff: o.backoff ?? { initialMs: 20, maxMs: 40 },
    ...(o.watchdog ? { watchdog: o.watchdog } : {}),
    open: (client) => {
      p.opened++;
      return client.sync({ fromRevision: 0, tableId: '', clientName: 'unit' });
    },
    onMessage: (m) => {
      p.messages.push(m);
      o.onMessage?.(m, p);
    },
    onLost: (loss) => {
      p.losses.push(loss);
      o.onLost?.(loss, p);
    },
    onState: (s) => p.states.push(s),
  });
  t.after(() => p.stream.stop());
  return p;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    if (check()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

const beat: SyncMessage = { heartbeat: { revision: 1 } };

test('a call the server ends with a status is lost exactly once, with its code and words', async (t) => {
  const { port } = await serve(t, (call) =>
    call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: 'certificate fw9 has role agent' }),
  );
  const p = probe(t, port, { onLost: (_l, me) => me.losses.length === 4 && me.stream.stop() });
  p.stream.start();
  await until('four losses', () => p.losses.length === 4);
  await sleep(300); // late 'status', 'end' and 'close' events of those calls, and no retry after stop
  assert.equal(p.losses.length, 4, 'one loss per call');
  assert.equal(p.opened, 4);
  for (const l of p.losses) {
    assert.equal(l.code, grpc.status.PERMISSION_DENIED);
    assert.equal(l.details, 'certificate fw9 has role agent');
    assert.equal(l.received, 0);
    assert.equal(l.silentMs, 0);
  }
  assert.equal(p.stream.state, 'STOPPED');
});

test('a call the server ends normally, after a message, is lost once as "stream ended"', async (t) => {
  const { port } = await serve(t, (call) => {
    call.write(beat);
    call.end();
  });
  const p = probe(t, port, { onLost: (_l, me) => me.stream.stop() });
  p.stream.start();
  await until('the loss', () => p.losses.length === 1);
  await sleep(200);
  assert.equal(p.losses.length, 1);
  assert.deepEqual(
    { ...p.losses[0], retryInMs: 0 },
    { code: undefined, details: 'stream ended by the collector', received: 1, silentMs: 0, retryInMs: 0 },
  );
  assert.equal(p.messages.length, 1, 'the message before the end was delivered');
  assert.deepEqual(p.states, ['CONNECTING', 'STREAMING', 'BACKOFF', 'STOPPED']);
});

test('a server that dies mid-stream is lost once; the stream comes back when the server does, on the same port', async (t) => {
  let first = await serve(t, (call) => call.write(beat));
  const p = probe(t, first.port, { backoff: { initialMs: 20, maxMs: 100 } });
  p.stream.start();
  await until('streaming', () => p.stream.state === 'STREAMING');
  first.server.forceShutdown(); // closes the HTTP/2 session and its socket under the open call
  await until('the loss', () => p.losses.length >= 1);
  await sleep(300); // retries against the closed port meanwhile: each its own loss
  const lostCalls = p.losses.length;
  assert.ok(
    p.opened === lostCalls || p.opened === lostCalls + 1,
    `${p.opened} calls opened, ${lostCalls} lost: never two losses for one call`,
  );
  assert.equal(p.losses[0]?.received, 1);
  first = await serve(t, (call) => call.write(beat), first.port);
  await until('streaming again', () => p.stream.state === 'STREAMING');
  assert.equal(p.messages.length, 2);
});

test('a stopped stream tells no loss, and can be started again', async (t) => {
  const { port } = await serve(t, (call) => call.write(beat));
  const p = probe(t, port);
  p.stream.start();
  await until('streaming', () => p.stream.state === 'STREAMING');
  p.stream.stop();
  await sleep(200);
  assert.equal(p.losses.length, 0, 'our own stop is not a loss');
  p.stream.start();
  await until('streaming again', () => p.messages.length === 2);
  assert.deepEqual(p.states, ['CONNECTING', 'STREAMING', 'STOPPED', 'CONNECTING', 'STREAMING']);
});

test('retries back off with jitter, growing to the cap and staying under it; healthy() starts over', async (t) => {
  const { port } = await serve(t, (call) => call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'not yet' }));
  const p = probe(t, port, {
    backoff: { initialMs: 10, maxMs: 80 },
    onLost: (_l, me) => me.losses.length === 7 && me.stream.stop(),
  });
  p.stream.start();
  await until('seven losses', () => p.losses.length === 7);
  const waits = p.losses.map((l) => l.retryInMs);
  // Full jitter: the k-th wait lies between half and all of min(cap, initial × 2^k).
  waits.forEach((w, k) => {
    const cap = Math.min(80, 10 * 2 ** k);
    assert.ok(w >= cap / 2 && w <= cap, `wait ${k} is ${w} ms, expected ${cap / 2}..${cap} (all: ${waits.join(', ')})`);
  });
  assert.ok(
    waits.slice(3).every((w) => w >= 40),
    `capped waits stay near the cap: ${waits.join(', ')}`,
  );

  const { port: port2 } = await serve(t, (call) => {
    call.write(beat);
    call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'again' });
  });
  const q = probe(t, port2, {
    backoff: { initialMs: 10, maxMs: 80 },
    onMessage: (_m, me) => me.stream.healthy(),
    onLost: (_l, me) => me.losses.length === 5 && me.stream.stop(),
  });
  q.stream.start();
  await until('five losses', () => q.losses.length === 5);
  assert.ok(
    q.losses.every((l) => l.retryInMs <= 10),
    `each answered call resets the wait: ${q.losses.map((l) => l.retryInMs).join(', ')}`,
  );
});

test('the watchdog drops a call the server accepts and never answers, and the server sees it cancelled', async (t) => {
  let cancelled = 0;
  const { port } = await serve(t, (call) => call.on('cancelled', () => cancelled++));
  const p = probe(t, port, {
    watchdog: { timeoutMs: 200, reason: (ms) => `no message in ${ms} ms` },
    onLost: (_l, me) => me.stream.stop(),
  });
  p.stream.start();
  await until('the silent loss', () => p.losses.length === 1);
  const l = p.losses[0];
  assert.equal(l?.code, grpc.status.DEADLINE_EXCEEDED);
  assert.ok(l && l.silentMs > 200, `silent for ${l?.silentMs} ms`);
  assert.equal(l?.details, `no message in ${l?.silentMs} ms`);
  assert.equal(l?.received, 0);
  await until('the server to see the cancel', () => cancelled === 1);
  await sleep(200);
  assert.equal(p.losses.length, 1, 'the cancel that follows is not a second loss');
});

test('the watchdog stays quiet while messages flow, and while nothing is awaited', async (t) => {
  let stopBeats = false;
  const { port } = await serve(t, (call) => {
    const timer = setInterval(() => (stopBeats ? undefined : call.write(beat)), 40);
    call.on('cancelled', () => clearInterval(timer));
  });
  let waiting = true;
  const p = probe(t, port, { watchdog: { timeoutMs: 200, armed: () => waiting, reason: (ms) => `silent ${ms} ms` } });
  p.stream.start();
  await sleep(800);
  assert.equal(p.losses.length, 0, 'beats every 40 ms keep a 200 ms watchdog quiet');
  assert.ok(p.messages.length >= 5);
  waiting = false;
  stopBeats = true;
  await sleep(700);
  assert.equal(p.losses.length, 0, 'silence does not count while nothing is awaited');
  waiting = true;
  await until('the loss once something is awaited', () => p.losses.length === 1, 2000);
  assert.ok(
    (p.losses[0]?.silentMs ?? 0) < 700,
    `silence counted from when waiting started (${p.losses[0]?.silentMs} ms), not from the last message`,
  );
});

test('wrong backoff or watchdog values are refused naming the field', () => {
  const base = {
    address: '127.0.0.1:1',
    credentials: grpc.credentials.createInsecure(),
    makeClient: () => new grpc.Client('127.0.0.1:1', grpc.credentials.createInsecure()),
    open: () => {
      throw new Error('not opened');
    },
    onMessage: () => undefined,
    onLost: () => undefined,
  };
  assert.throws(
    () => new ReconnectingStream({ ...base, backoff: { initialMs: 500, maxMs: 100 } }),
    (e: unknown) =>
      e instanceof ConfigError && e.field === 'backoff.maxMs' && /below backoff\.initialMs/.test(e.message),
  );
  assert.throws(
    () => new ReconnectingStream({ ...base, watchdog: { timeoutMs: 0, reason: () => '' } }),
    (e: unknown) => e instanceof ConfigError && e.field === 'watchdog.timeoutMs',
  );
});
