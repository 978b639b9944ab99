/**
 * Collector memory: resident set of a real collector process holding 0, 10 k, 100 k and 1 M
 * mappings, filled over the agent protocol (one new address per event), and after a restart
 * with them on disk (what a collector that restarts in the middle of the day holds).
 */
import { rmSync } from 'node:fs';
import { rssMiB } from '../../support/flood';
import type { BenchRow, Scenario } from '../harness/types';
import { fill } from '../harness/load';
import { benchCollector } from '../harness/procs';

const TARGET_1M_MIB = 1024;

/** Lets the collector settle (its sweep, the allocator) before reading its RSS. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 1500));

export const collectorRss: Scenario = {
  name: 'collector-rss',
  title:
    'Resident memory of a real collector process filled over the agent protocol to 0 / 10 k / 100 k / 1 M mappings (every event a new address), read from /proc; target <= 1 GiB at 1 M.',
  async run({ quick }) {
    const rows: BenchRow[] = [];
    const sizes = quick ? [0, 10_000, 100_000] : [0, 10_000, 100_000, 1_000_000];
    let c = await benchCollector();
    try {
      let have = 0;
      for (const n of sizes) {
        if (n > have) await fill(c.agent, 'dc1', n - have, have);
        have = n;
        await settle();
        const rss = rssMiB(c.handle.daemon.pid);
        rows.push({
          figure: `collector RSS at ${n.toLocaleString('en-US')} mappings`,
          value: rss,
          unit: 'MiB',
          ...(n >= 1_000_000 ? { target: '<= 1 GiB', met: rss <= TARGET_1M_MIB } : {}),
          ...(n > 0 ? { notes: undefined } : {}),
        });
      }
      // The same table read back at start: what a restarted collector holds.
      await c.stop();
      c = await benchCollector(c.dir);
      // Lookup is served while the table loads: the figure is for the whole table in memory.
      await c.handle.daemon.waitFor(
        (l) => l.message === 'identity table loaded' || (l.message === 'collector listening' && l['loading'] !== true),
        120_000,
      );
      await settle();
      const rss = rssMiB(c.handle.daemon.pid);
      const top = sizes.at(-1) ?? 0;
      rows.push({
        figure: `collector RSS after a restart with ${top.toLocaleString('en-US')} mappings`,
        value: rss,
        unit: 'MiB',
        ...(top >= 1_000_000 ? { target: '<= 1 GiB', met: rss <= TARGET_1M_MIB } : {}),
      });
    } finally {
      await c.stop();
      rmSync(c.dir, { recursive: true, force: true });
    }
    return rows.map((r) => (r.notes === undefined ? (({ notes: _n, ...rest }) => rest)(r) : r));
  },
};
