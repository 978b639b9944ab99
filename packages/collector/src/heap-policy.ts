import { setFlagsFromString } from 'node:v8';
import type { Logger } from '@fsso/common';

/**
 * How far V8's old generation may grow past what survived its last full collection before the
 * next one, in percent. V8's own factor (up to 4 ×, chosen from how fast the program allocates)
 * suits short-lived programs; the collector holds one table that only grows, and filling it to
 * 1 M mappings ended at 960–1 110 MiB RSS for ~550 MiB live, so whether it stayed under 1 GiB
 * depended on when the last full collection ran. At 50 %: 775–796 MiB, for ~30 % more CPU over
 * the fill from 300 k to 1 M (more full collections of a large heap, marked concurrently); below
 * 300 k mappings no difference was measurable (bench/README.md, "Memory, third round").
 */
export const HEAP_GROWING_PERCENT = 50;

/** Overrides the percent (0: V8's own factor); for an operator who trades memory for fewer collections. */
export const HEAP_GROWING_ENV = 'FSSO_HEAP_GROWING_PERCENT';

/** Sets the collector's heap growth (once, at `serve`, before the table is loaded); returns the percent set. */
export function applyHeapPolicy(log: Logger, env: NodeJS.ProcessEnv = process.env): number {
  const percent = heapGrowingPercent(log, env);
  // V8 reads the flag each time it sets the next limit, so setting it at run time takes effect.
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}

function heapGrowingPercent(log: Logger, env: NodeJS.ProcessEnv): number {
  const raw = env[HEAP_GROWING_ENV];
  if (raw === undefined || raw === '') return HEAP_GROWING_PERCENT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 300) {
    log.warn(`${HEAP_GROWING_ENV} ignored: give a whole percent from 0 (V8's own) to 300, or unset it`, { value: raw });
    return HEAP_GROWING_PERCENT;
  }
  if (n !== HEAP_GROWING_PERCENT) log.info(`heap growth ${n === 0 ? "V8's own" : `${n} %`} (${HEAP_GROWING_ENV})`);
  return n;
}
