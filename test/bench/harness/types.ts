/**
 * The shape every `npm run bench` scenario returns: one row per figure, each with the baseline
 * measured in the same run on the same machine, so the ratio means something on a loaded or a
 * slower machine too. The runner (test/bench/run.ts) prints the rows as a Markdown table, marks
 * missed targets and writes bench/results.json.
 */
export interface Baseline {
  /** What the baseline measures, e.g. "raw better-sqlite3 WAL upsert of the same rows". */
  name: string;
  value: number;
  unit: string;
}

export interface BenchRow {
  /** The figure, e.g. "ingest, 50 k addresses, batch 2 000". */
  figure: string;
  value: number;
  /** e.g. "events/s", "ms", "MiB", "calls/s". */
  unit: string;
  baseline?: Baseline;
  /** value / baseline.value (or the inverse where lower is better); computed by the runner when absent. */
  ratio?: number;
  /** In words, as printed, e.g. ">= 100 k/s and >= 0.3 x SQLite". */
  target?: string;
  /** Whether the target is met; undefined when there is no target. */
  met?: boolean;
  /** What limits it, or how it was measured (one line). */
  notes?: string;
}

export interface ScenarioOptions {
  /** `--quick`: the whole bench in under 60 s (smaller tables, one run instead of a median of 3). */
  quick: boolean;
}

export interface Scenario {
  /** `--only NAME` selects it; lower-case words joined by '-'. */
  name: string;
  /** One sentence for bench/README.md: what it drives and what the baseline is. */
  title: string;
  run(opts: ScenarioOptions): Promise<BenchRow[]>;
}

/** The median of `n` runs of `measure` (n = 1 under --quick); lower-is-better figures use the same median. */
export async function medianOf(n: number, measure: () => Promise<number> | number): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < n; i++) values.push(await measure());
  return median(values);
}

/** The median of figures already measured (0 for none). */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
}
