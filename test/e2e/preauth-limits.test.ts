import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { loadFsso, type AdminServiceClient } from '@fsso/common';
import { BIN } from '../support/paths';
import { adminClient, until } from '../support/grpc';
import { rssMiB, statsLatencyMs } from '../support/flood';
import { testPki } from '../support/pki';
import { runCommand, startCollector, tempDir, type CollectorHandle } from '../support/processes';

/**
 * Opens `count` TCP connections from `localAddress` that never start TLS, 100 at a time so the
 * kernel's accept queue never overflows (a client then thinks it is connected while the server
 * has not seen it, and the counts below would be off).
 */
async function idleConnections(port: number, localAddress: string, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let start = 0; start < count; start += 100) {
    const settled: Promise<void>[] = [];
    for (let i = start; i < Math.min(count, start + 100); i++) {
      const s = connect({ port, host: '127.0.0.1', localAddress });
      s.on('error', () => undefined);
      sockets.push(s);
      settled.push(
        new Promise((resolve) => {
          s.once('connect', () => resolve());
          s.once('close', () => resolve());
        }),
      );
    }
    await Promise.all(settled);
  }
  return sockets;
}

/** Connections the collector has not cut yet (after giving it a moment to cut the refused ones). */
async function stillOpen(sockets: Socket[]): Promise<number> {
  await new Promise((r) => setTimeout(r, 500));
  return sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
}

const limitHits = async (c: CollectorHandle): Promise<Record<string, number>> =>
  (
    JSON.parse((await runCommand(BIN.ctl, ['stats', '--json', ...c.args()])).stdout) as {
      limitHits: Record<string, number>;
    }
  ).limitHits;

test('thousands of idle TCP connections without a certificate: capped per source and in total, cut at the handshake deadline, counted and logged; valid clients get in', async (t) => {
  const dir = tempDir('preauth');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path, {
    config: { limits: { handshakeTimeout: '2s', maxPendingHandshakesPerSource: 32, maxPendingHandshakes: 1000 } },
  });
  t.after(() => collector.daemon.stop());
  const admin: AdminServiceClient = adminClient(collector);
  t.after(() => admin.close());
  const rssBefore = rssMiB(collector.daemon.pid);
  const all: Socket[] = [];
  t.after(() => all.forEach((s) => s.destroy()));

  await t.test(
    '3 000 from one address: 32 wait for their handshake, the rest are cut at once; a client from another address still answers',
    async () => {
      const flood = await idleConnections(collector.port, '127.0.0.2', 3000);
      all.push(...flood);
      assert.equal(await stillOpen(flood), 32);
      const latency = await statsLatencyMs(admin);
      t.diagnostic(
        `per-source flood: RSS MiB ${rssBefore} -> ${rssMiB(collector.daemon.pid)}; GetStats during: ${latency.toFixed(1)} ms`,
      );
      await until('the 32 are cut at the 2 s deadline', async () => (await stillOpen(flood)) === 0, 15_000, 250);
      const hits = await limitHits(collector);
      assert.equal(hits['maxPendingHandshakesPerSource'], 2968);
      assert.equal(hits['handshakeTimeout'], 32);
      const first = await collector.daemon.waitFor(
        (l) => l.message === 'TLS handshakes refused/timed out: 1 in the last 10 s',
      );
      assert.equal(first.level, 'warn');
      assert.equal(first['reason'], 'over limits.maxPendingHandshakesPerSource');
      const summary = await collector.daemon.waitFor(
        (l) =>
          /^TLS handshakes refused\/timed out: \d+ in the last 10 s$/.test(String(l.message)) && Number(l['count']) > 1,
        15_000,
      );
      assert.ok(Object.keys(summary['sources'] as object).includes('127.0.0.2'), JSON.stringify(summary));
    },
  );

  await t.test(
    '2 000 from 100 addresses fill the total; a valid client gets in once the deadline clears them',
    async () => {
      const flood: Socket[] = [];
      for (let i = 0; i < 100; i++) flood.push(...(await idleConnections(collector.port, `127.0.1.${i + 1}`, 20)));
      all.push(...flood);
      assert.equal(await stillOpen(flood), 1000, 'limits.maxPendingHandshakes');
      const rssDuring = rssMiB(collector.daemon.pid);
      // A fresh client (its own connection) from 127.0.0.1: refused while the slots are full, served after.
      const fresh = adminClient(collector);
      t.after(() => fresh.close());
      const latency = await statsLatencyMs(fresh, 30_000, true);
      t.diagnostic(
        `total flood: RSS MiB during ${rssDuring}; a new admin client's first GetStats answered after ${latency.toFixed(0)} ms (deadline 2 s, then its reconnect backoff)`,
      );
      const hits = await limitHits(collector);
      assert.ok((hits['maxPendingHandshakes'] ?? 0) >= 1000, JSON.stringify(hits));
      await until('the flood is cut', async () => (await stillOpen(flood)) === 0, 15_000, 250);
    },
  );

  await t.test('a client without a certificate fails its handshake, and is counted', async () => {
    const before = (await limitHits(collector))['handshakeFailed'] ?? 0;
    const { proto } = loadFsso();
    const client = new proto.fsso.v1.AdminService(
      collector.address,
      grpc.credentials.createSsl(readFileSync(testPki().ca)),
    ) as AdminServiceClient;
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.getStats({}, { deadline: Date.now() + 5000 }, (e) => resolve(e)),
    );
    client.close();
    assert.equal(err?.code, grpc.status.UNAVAILABLE);
    await until('counted', async () => ((await limitHits(collector))['handshakeFailed'] ?? 0) > before, 10_000, 200);
    const after = rssMiB(collector.daemon.pid);
    t.diagnostic(`RSS MiB after the floods: ${after}`);
  });
});

test("the collector's own listener: a taken port fails the start with the fix, and idle authenticated connections are closed after limits.idleTimeout", async (t) => {
  const dir = tempDir('preauth-listen');
  t.after(dir.cleanup);
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const taken = (blocker.address() as { port: number }).port;
  const collector = await startCollector(dir.path, { config: { limits: { idleTimeout: '1s' } } });
  t.after(() => collector.daemon.stop());
  const r = await runCommand(BIN.collector, [
    'serve',
    '--config',
    collector.configPath,
    '--listen',
    `127.0.0.1:${taken}`,
  ]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(
      `cannot listen on 127\\.0\\.0\\.1:${taken}: .*EADDRINUSE.*; pick a free port or stop what uses it \\[FSSO_LISTEN_FAILED\\]`,
    ),
  );

  const admin = adminClient(collector);
  t.after(() => admin.close());
  await statsLatencyMs(admin);
  const channel = admin.getChannel();
  assert.equal(channel.getConnectivityState(false), grpc.connectivityState.READY);
  await until(
    'the idle connection is closed by the collector',
    () => channel.getConnectivityState(false) !== grpc.connectivityState.READY,
    10_000,
    100,
  );
  await statsLatencyMs(admin); // and the client simply reconnects for its next call
});
