/**
 * Ingest: events per second through one real collector process (agent protocol over mutual TLS,
 * SQLite with fsync per batch, ack only after commit), next to two baselines from the same run: a
 * raw grpc-js server that only acknowledges the same batches, and raw better-sqlite3 upserting
 * the same rows in WAL mode (synchronous FULL, one transaction per batch). Plus growth: the
 * same storm at 10 k, 100 k and 1 M distinct addresses. Then the same storms as logons naming a
 * workstation (one machine per address), as real Windows, Samba and DHCP evidence does, each next
 * to the same storm naming none in the same run: the cost of the workstation memory.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Event } from '@fsso/common';
import { tempDir } from '../../support/processes';
import { medianOf, type BenchRow, type Scenario } from '../harness/types';
import { benchBatches, pump } from '../harness/load';
import { rssMiB } from '../../support/flood';
import { baselineServer, benchCollector } from '../harness/procs';

const TARGET_RATE = 100_000;
const TARGET_SQLITE = 0.3;

/** The same rows upserted straight into SQLite: the floor of what any collector can do with fsync per batch. */
export function sqliteUpsert(batches: Event[][]): number {
  const dir = tempDir('bench-sqlite');
  const db = new Database(join(dir.path, 'b.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE logons (ip TEXT PRIMARY KEY, user TEXT, domain TEXT, last_seen_ms INTEGER)');
    const up = db.prepare(
      'INSERT INTO logons (ip, user, domain, last_seen_ms) VALUES (?, ?, ?, ?) ON CONFLICT (ip) DO UPDATE SET user = excluded.user, last_seen_ms = excluded.last_seen_ms',
    );
    const tx = db.transaction((evs: Event[]) => {
      for (const e of evs) up.run(e.ip, e.user, e.domain, e.eventTimeMs);
    });
    const t0 = process.hrtime.bigint();
    for (const b of batches) tx(b);
    return count(batches) / (Number(process.hrtime.bigint() - t0) / 1e9);
  } finally {
    db.close();
    dir.cleanup();
  }
}

const count = (batches: Event[][]): number => batches.reduce((n, b) => n + b.length, 0);

async function throughCollector(batches: Event[][], rss?: (mib: number) => void): Promise<number> {
  const c = await benchCollector();
  try {
    const rate = count(batches) / (await pump(c.agent, 'dc1', batches));
    rss?.(rssMiB(c.handle.daemon.pid));
    return rate;
  } finally {
    await c.stop();
    rmSync(c.dir, { recursive: true, force: true });
  }
}

async function ackOnly(batches: Event[][]): Promise<number> {
  const b = await baselineServer();
  try {
    return count(batches) / (await pump(b.agent, 'dc1', batches));
  } finally {
    await b.stop();
  }
}

export const ingest: Scenario = {
  name: 'ingest',
  title:
    'A logon storm (USER_ACTIVITY events over 50 k distinct addresses, then growth to 10 k/100 k/1 M) sent by an agent-protocol client with a real agent certificate to a real collector process; baselines: a grpc-js server that only acks the same batches (same TLS), and better-sqlite3 upserting the same rows (WAL, synchronous FULL, one transaction per batch).',
  async run({ quick }) {
    const runs = quick ? 1 : 3;
    const total = quick ? 100_000 : 200_000;
    const rows: BenchRow[] = [];
    let plain50k = 0;
    for (const batch of quick ? [2000] : [500, 2000]) {
      const batches = benchBatches(total, batch, 50_000);
      const sqlite = await medianOf(runs, () => sqliteUpsert(batches));
      const grpc = await medianOf(runs, () => ackOnly(batches));
      const real = await medianOf(runs, () => throughCollector(batches));
      if (batch === 2000) plain50k = real;
      const figure = `ingest, 50 k addresses, batch ${batch.toLocaleString('en-US')}, mTLS, fsync per batch`;
      rows.push({
        figure,
        value: real,
        unit: 'events/s',
        baseline: { name: 'raw better-sqlite3 WAL upsert', value: sqlite, unit: 'events/s' },
        target: '>= 100 k/s and >= 0.3 x SQLite',
        met: real >= TARGET_RATE && real >= TARGET_SQLITE * sqlite,
        notes: `${total.toLocaleString('en-US')} events per run, median of ${runs}`,
      });
      rows.push({
        figure: `${figure}, vs gRPC`,
        value: real,
        unit: 'events/s',
        baseline: { name: 'raw grpc-js stream, ack only', value: grpc, unit: 'events/s' },
      });
    }
    // Growth: every event a new address, so the table ends at that size.
    const plainGrowth = new Map<number, { rate: number; rss: number }>();
    for (const n of quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000]) {
      const batches = benchBatches(n, 2000, n);
      const sqlite = sqliteUpsert(batches);
      let rss = 0;
      const real = await throughCollector(batches, (m) => (rss = m));
      plainGrowth.set(n, { rate: real, rss });
      rows.push({
        figure: `ingest growth, ${n.toLocaleString('en-US')} new addresses, batch 2 000`,
        value: real,
        unit: 'events/s',
        baseline: { name: 'raw better-sqlite3 WAL upsert', value: sqlite, unit: 'events/s' },
        target: '>= 100 k/s',
        met: real >= TARGET_RATE,
      });
    }
    rows.push(...(await namingMachines(runs, total, plain50k, plainGrowth)));
    return rows;
  },
};

/**
 * The 50 k-address storm and the growth rows again with every event naming `WKS<n>` at address
 * n, against the same events naming none from this run: the ratio is what the workstation memory
 * leaves of the plain rate.
 */
async function namingMachines(
  runs: number,
  total: number,
  plain: number,
  growth: ReadonlyMap<number, { rate: number; rss: number }>,
): Promise<BenchRow[]> {
  const machines = benchBatches(total, 2000, 50_000, 0, true);
  const real = await medianOf(runs, () => throughCollector(machines));
  const rows: BenchRow[] = [
    {
      figure: 'ingest naming workstations, 50 k addresses and machines, batch 2,000',
      value: real,
      unit: 'events/s',
      baseline: { name: 'the same events naming no workstation', value: plain, unit: 'events/s' },
      notes: `${total.toLocaleString('en-US')} USER_ACTIVITY events naming WKS<n> at address n, median of ${runs}`,
    },
  ];
  for (const [n, base] of growth) {
    if (n < 100_000) continue;
    let rss = 0;
    const grown = await throughCollector(benchBatches(n, 2000, n, 0, true), (m) => (rss = m));
    const label = n.toLocaleString('en-US');
    rows.push({
      figure: `ingest growth naming workstations, ${label} new addresses and machines, batch 2 000`,
      value: grown,
      unit: 'events/s',
      baseline: { name: 'the same growth naming no workstation', value: base.rate, unit: 'events/s' },
    });
    rows.push({
      figure: `collector RSS after ${label} new addresses and machines`,
      value: rss,
      unit: 'MiB',
      baseline: { name: 'after the same growth naming no workstation', value: base.rss, unit: 'MiB' },
    });
  }
  return rows;
}
