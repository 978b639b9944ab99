/**
 * Propagation: a real agent stream sends logons at a steady rate to a real collector; a real
 * IdentityReplica follows it. Each change's latency runs from the moment its batch was written on
 * the agent stream to the moment the replica applied it (one process, one clock). Baseline: the
 * round trip of a unary Lookup on the same collector, in the same run.
 */
import * as grpc from '@grpc/grpc-js';
import { loadFsso, type Event, type IdentityServiceClient } from '@fsso/common';
import type { ReplicaChange } from '@fsso/firewall-client';
import { medianOf, type BenchRow, type Scenario } from '../harness/types';
import { startCollector, tempDir, type CollectorHandle } from '../../support/processes';
import { BENCH_LIMITS, BenchAgent, logon, percentile, syncedReplica } from './replica-fixture';

/** Distinct addresses the load cycles over; each event names a new user, so each is a change. */
const ADDRESSES = 50_000;
const TICK_MS = 10;

interface Lag {
  p50: number;
  p99: number;
  seen: number;
  sent: number;
}

async function steady(collector: CollectorHandle, rate: number, seconds: number): Promise<Lag> {
  const replica = await syncedReplica(collector);
  const agent = new BenchAgent(collector);
  await agent.ready();
  const sentAt = new Map<string, number>();
  const lags: number[] = [];
  const onChange = (c: ReplicaChange): void => {
    if (c.op !== 'UPSERT' || !c.identity) return;
    const t = sentAt.get(c.identity.user);
    if (t === undefined) return;
    sentAt.delete(c.identity.user);
    lags.push(performance.now() - t);
  };
  replica.on('change', onChange);
  let sent = 0;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  // Sends what the rate owes at each tick (timers drift under load; the count does not).
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - started;
      const owed = Math.min(Math.floor((rate * elapsed) / 1000), rate * seconds) - sent;
      if (owed > 0) {
        const now = Date.now();
        const events: Event[] = [];
        for (let k = sent; k < sent + owed; k++) events.push(logon(k % ADDRESSES, 0, now, `load${rate}-${k}`));
        const t = performance.now();
        for (const e of events) sentAt.set(e.user ?? '', t);
        pending.push(agent.send(events));
        sent += owed;
      }
      if (sent >= rate * seconds) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  await Promise.all(pending);
  // The last changes still on their way: wait for them, boundedly.
  for (let i = 0; i < 200 && sentAt.size > 0; i++) await new Promise((r) => setTimeout(r, 25));
  replica.off('change', onChange);
  replica.stop();
  agent.close();
  lags.sort((a, b) => a - b);
  return { p50: percentile(lags, 50), p99: percentile(lags, 99), seen: lags.length, sent };
}

/** p99 of `count` sequential unary Lookup calls (mTLS, firewall certificate). */
async function unaryP99(collector: CollectorHandle, count: number): Promise<number> {
  const client = new (loadFsso().proto.fsso.v1.IdentityService)(
    collector.address,
    collector.credentials('firewall'),
  ) as IdentityServiceClient;
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await new Promise<void>((resolve) =>
      client.lookup({ ip: '10.0.0.1' }, (err: grpc.ServiceError | null) => {
        void err;
        resolve();
      }),
    );
    times.push(performance.now() - t);
  }
  client.close();
  times.sort((a, b) => a - b);
  return percentile(times.slice(Math.floor(count / 10)), 99);
}

export const propagationScenario: Scenario = {
  name: 'propagation',
  title:
    'A real agent stream sends logons at a steady 1 k and 20 k events/s to a real collector; latency until a real IdentityReplica applied each change (p50/p99), next to a unary Lookup round trip',
  async run(opts) {
    const dir = tempDir('bench-propagation');
    const collector = await startCollector(dir.path, { config: { limits: BENCH_LIMITS } });
    try {
      const runs = opts.quick ? 1 : 3;
      const seconds = opts.quick ? 3 : 6;
      const base = await medianOf(runs, () => unaryP99(collector, 1000));
      const rows: BenchRow[] = [];
      for (const [rate, target] of [
        [1_000, 20],
        [20_000, 100],
      ] as const) {
        const results: Lag[] = [];
        await medianOf(runs, async () => {
          const r = await steady(collector, rate, seconds);
          results.push(r);
          return r.p99;
        });
        results.sort((a, b) => a.p99 - b.p99);
        const r = results[Math.floor(results.length / 2)] as Lag;
        const label = `${rate / 1000} k events/s`;
        const baseline = { name: 'unary Lookup round trip p99', value: base, unit: 'ms' };
        rows.push(
          {
            figure: `propagation agent batch -> firewall replica, steady ${label}, p50`,
            value: r.p50,
            unit: 'ms',
            baseline,
            ratio: base / r.p50,
          },
          {
            figure: `propagation agent batch -> firewall replica, steady ${label}, p99`,
            value: r.p99,
            unit: 'ms',
            baseline,
            ratio: base / r.p99,
            target: `p99 <= ${target} ms`,
            met: r.p99 <= target && r.seen > 0,
            notes: `${r.seen} of ${r.sent} changes timed (a change overtaken at its address before it was sent is coalesced)`,
          },
        );
      }
      return rows;
    } finally {
      await collector.daemon.stop();
      dir.cleanup();
    }
  },
};
