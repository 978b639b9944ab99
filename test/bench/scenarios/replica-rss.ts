/**
 * Replica memory: the resident memory of a real `fsso-fw watch` process (one IdentityReplica)
 * holding the whole table of a collector with n mappings, next to the same process holding none.
 */
import { medianOf, type BenchRow, type Scenario } from '../harness/types';
import { startProcess, type CollectorHandle } from '../../support/processes';
import { BIN } from '../../support/paths';
import { rssMiB } from '../../support/flood';
import { seededCollector } from './replica-fixture';

/** RSS of a `fsso-fw watch` once it holds the table (after a GC settles, as a long-running firewall would). */
async function watchRss(collector: CollectorHandle, n: number): Promise<number> {
  const watch = startProcess('fsso-fw watch', BIN.fw, [
    'watch',
    '--json',
    '--timeout',
    '300s',
    ...collector.args('firewall'),
  ]);
  try {
    await watch.waitFor((l) => l['event'] === 'ready', 120_000);
    // Decoding the snapshot leaves garbage the next GC returns; a firewall's steady state is after it.
    await new Promise((r) => setTimeout(r, n >= 1e6 ? 3000 : 1000));
    return rssMiB(watch.pid);
  } finally {
    await watch.stop();
  }
}

export const replicaRssScenario: Scenario = {
  name: 'replica-rss',
  title:
    'Resident memory of a real fsso-fw watch process (one IdentityReplica) holding 0 / 100 k / 1 M entries of a real collector',
  async run(opts) {
    const runs = opts.quick ? 1 : 3;
    const empty = await seededCollector(0);
    const base = await medianOf(runs, () => watchRss(empty.collector, 0));
    const rows: BenchRow[] = [];
    for (const n of opts.quick ? [100_000] : [100_000, 1_000_000]) {
      const s = await seededCollector(n);
      const rss = await medianOf(runs, () => watchRss(s.collector, n));
      const label = n >= 1e6 ? `${n / 1e6} M` : `${n / 1e3} k`;
      rows.push({
        figure: `replica RSS at ${label} entries (fsso-fw watch)`,
        value: rss,
        unit: 'MiB',
        baseline: { name: 'the same process with an empty table', value: base, unit: 'MiB' },
        ratio: rss / base,
        ...(n >= 1e6 ? { target: '<= 300 MiB', met: rss <= 300 } : {}),
        notes: `${Math.round(((rss - base) * 1024 * 1024) / n)} bytes per entry above the empty process`,
      });
    }
    return rows;
  },
};
