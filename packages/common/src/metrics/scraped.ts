import { Counter, Gauge, type Registry } from 'prom-client';

/** One labelled value read at scrape time. */
export type MetricSample = readonly [Record<string, string>, number];

/** A gauge whose values are read from the daemon at each scrape (no second copy to keep in step). */
export function scrapedGauge(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: () => MetricSample[],
): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, v] of read()) this.set(labels, v);
    },
  });
}

/**
 * A counter the daemon already keeps as a plain number (its stats, its log lines use it): each
 * scrape adds what grew since the last one, so there is one count, not two that could drift.
 */
export function mirroredCounter(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: () => MetricSample[],
): void {
  const seen = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      for (const [labels, v] of read()) {
        const key = JSON.stringify(labels);
        const delta = v - (seen.get(key) ?? 0);
        if (delta > 0) this.inc(labels, delta);
        else if (!seen.has(key)) this.inc(labels, 0);
        seen.set(key, v);
      }
    },
  });
}
