/**
 * Propagation: a real agent stream sends logons at a steady rate to a real collector; a real
 * IdentityReplica follows it. The stream sends as fsso-dc-agent does (batches of up to 500, 8 in
 * flight). Each change's latency runs from the moment its event happened (entered the agent's
 * queue) to the moment the replica applied it (one process, one clock). Baseline: the
 * round trip of a unary Lookup on the same collector, in the same run.
 */
import type * as grpc from '@grpc/grpc-js';
import { loadFsso, type Event, type IdentityServiceClient } from '@fsso/common';
import type { ReplicaChange } from '@fsso/firewall-client';
import { medianOf, type BenchRow, type Scenario } from '../harness/types';
import { startCollector, tempDir, type CollectorHandle } from '../../support/processes';
import { BENCH_LIMITS } from '../harness/load';
import { BenchAgent, logon, percentile, syncedReplica } from './replica-fixture';

/**
 * Each event names a new user at an address no earlier event used, so each is a change of one
 * user (a second user at an address makes it shared, which names nobody). Counted across runs.
 */
let nextAddress = 0;
const TICK_MS = 10;
/** fsso-dc-agent's defaults: batchSize and maxInFlight. */
const BATCH = 500;
const IN_FLIGHT = 8;

interface Lag {
  p50: number;
  p99: number;
  /** p99 of the time from the agent's ack (the commit) to the replica: the firewall stream's own lag. */
  afterAckP99: number;
  /** How long after the last event the last ack came: above a few ms, ingest did not keep up. */
  ackLagMs: number;
  seen: number;
  sent: number;
}

async function steady(collector: CollectorHandle, rate: number, seconds: number): Promise<Lag> {
  const replica = await syncedReplica(collector);
  const agent = new BenchAgent(collector);
  await agent.ready();
  const sentAt = new Map<string, number>();
  /** When the agent had the ack of each event's batch: the ack follows the commit. */
  const ackedAt = new Map<string, number>();
  const lags: number[] = [];
  const fwLegs: number[] = [];
  const onChange = (c: ReplicaChange): void => {
    if (c.op !== 'UPSERT' || !c.identity) return;
    const user = c.identity.user;
    const t = sentAt.get(user);
    if (t === undefined) return;
    const now = performance.now();
    sentAt.delete(user);
    lags.push(now - t);
    // The change can reach the replica before the ack reaches the agent: that leg is then 0.
    const acked = ackedAt.get(user);
    fwLegs.push(acked === undefined ? 0 : Math.max(0, now - acked));
    ackedAt.delete(user);
  };
  replica.on('change', onChange);
  let made = 0;
  let inFlight = 0;
  const spool: Event[] = [];
  const total = rate * seconds;
  // As fsso-dc-agent sends: what its spool holds, in batches of up to BATCH, at most IN_FLIGHT
  // unacknowledged; a slower collector gets bigger batches, not more of them.
  const send = (): void => {
    while (inFlight < IN_FLIGHT && spool.length > 0) {
      inFlight++;
      const batch = spool.splice(0, BATCH);
      void agent.send(batch).then(() => {
        const t = performance.now();
        for (const e of batch) ackedAt.set(e.user ?? '', t);
        inFlight--;
        send();
      });
    }
  };
  const started = performance.now();
  // Events happen at the rate (timers drift under load; the count does not); each is timed from then.
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const owed = Math.min(Math.floor((rate * (performance.now() - started)) / 1000), total) - made;
      if (owed > 0) {
        const now = Date.now();
        const t = performance.now();
        for (let k = made; k < made + owed; k++) {
          const a = nextAddress++;
          const user = `load-${a}`;
          spool.push(logon(a, 0, now, user));
          sentAt.set(user, t);
        }
        made += owed;
        send();
      }
      if (made >= total) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  const sendDone = performance.now();
  for (let i = 0; i < 6000 && (inFlight > 0 || spool.length > 0); i++) await new Promise((r) => setTimeout(r, 5));
  const ackLagMs = performance.now() - sendDone;
  // The last changes still on their way: wait for them, boundedly.
  for (let i = 0; i < 200 && sentAt.size > 0; i++) await new Promise((r) => setTimeout(r, 25));
  replica.off('change', onChange);
  replica.stop();
  agent.close();
  lags.sort((a, b) => a - b);
  fwLegs.sort((a, b) => a - b);
  return {
    p50: percentile(lags, 50),
    p99: percentile(lags, 99),
    afterAckP99: percentile(fwLegs, 99),
    ackLagMs,
    seen: lags.length,
    sent: total,
  };
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
            notes: `${r.seen} of ${r.sent} changes timed; the last ack came ${Math.round(r.ackLagMs)} ms after the last event (ingest keeping up: a few ms)`,
          },
          {
            figure: `propagation commit (the agent's ack) -> firewall replica, steady ${label}, p99`,
            value: r.afterAckP99,
            unit: 'ms',
            baseline,
            ratio: base / Math.max(r.afterAckP99, 0.001),
            notes:
              "the Sync stream's own part: 0 where the change reached the replica before the ack reached the agent",
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
