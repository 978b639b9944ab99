/**
 * A new firewall holding a full replica: from IdentityReplica.start() until it holds the whole
 * table of a real collector with n mappings, next to reading the same rows straight from the
 * collector's SQLite file in the same run.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { medianOf, type BenchRow, type Scenario } from '../harness/types';
import { seededCollector, syncedReplica } from './replica-fixture';

function sqliteRead(dir: string): number {
  const started = process.hrtime.bigint();
  const db = new Database(join(dir, 'collector-data', 'collector.db'), { readonly: true, fileMustExist: true });
  let rows = 0;
  for (const r of db.prepare('SELECT * FROM logons').iterate()) if (r) rows++;
  db.close();
  if (rows === 0) throw new Error('the collector database holds no rows');
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function measure(n: number, runs: number): Promise<BenchRow> {
  const s = await seededCollector(n);
  const base = await medianOf(runs, () => sqliteRead(s.dir));
  const secs = await medianOf(runs, async () => {
    const started = process.hrtime.bigint();
    const replica = await syncedReplica(s.collector);
    const t = Number(process.hrtime.bigint() - started) / 1e9;
    if (replica.size < n) throw new Error(`the replica holds ${replica.size} entries, not ${n}`);
    replica.stop();
    return t;
  });
  const label = n >= 1e6 ? `${n / 1e6} M` : `${n / 1e3} k`;
  return {
    figure: `a new firewall holding a full replica, ${label} entries`,
    value: secs,
    unit: 's',
    baseline: { name: 'reading the same rows from SQLite', value: base, unit: 's' },
    ratio: base / secs,
    ...(n >= 1e6 ? { target: '<= 5 s', met: secs <= 5 } : {}),
    notes: 'IdentityReplica in the bench process, mTLS, snapshot streamed by the collector',
  };
}

export const replicaLoadScenario: Scenario = {
  name: 'replica-load',
  title:
    'A new IdentityReplica until it holds the whole table of a real collector (100 k and 1 M mappings), next to reading the same rows from the collector SQLite file',
  async run(opts) {
    const rows: BenchRow[] = [];
    for (const n of opts.quick ? [100_000] : [100_000, 1_000_000]) rows.push(await measure(n, opts.quick ? 1 : 3));
    return rows;
  },
};
