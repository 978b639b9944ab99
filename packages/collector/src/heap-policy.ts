import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import type { Logger } from '@fsso/common';

/**
 * How far V8's old generation may grow past what survived its last full collection before the
 * next one, in percent, once the heap is large. V8's own factor (up to 4 ×, chosen from how fast
 * the program allocates) suits short-lived programs; the collector holds one table that only
 * grows, and filling it to 1 M mappings ended at 960–1 145 MiB RSS for 490–560 MiB live, so
 * whether it stayed under 1 GiB depended on when the last full collection ran. At 50 %: 779–866
 * MiB, for ~22 % more CPU over the fill from 300 k to 1 M (more full collections of a large heap,
 * marked concurrently); 30 % saved ~50 MiB more, but that fill took 62 % longer (bench/README.md, "Memory,
 * third round").
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Heap in use past which the cap applies. Below it V8's own factor costs little memory, and the cap
 * cost CPU per event: filling to 300 k took ~8 % more of the collector's CPU with it from the start.
 */
export const HEAP_CAP_FROM_BYTES = 256 * 1024 * 1024;

/** How often the heap in use is compared with `HEAP_CAP_FROM_BYTES` (a few microseconds each). */
const CHECK_MS = 1000;

/** Overrides the percent (0: V8's own factor); for an operator who trades memory for fewer collections. */
export const HEAP_GROWING_ENV = 'FSSO_HEAP_GROWING_PERCENT';

/**
 * Starts the collector's heap policy (once, at `serve`): the cap while the heap in use is past
 * `HEAP_CAP_FROM_BYTES` (off again below three quarters of it). Returns the percent, 0 for none.
 */
export function applyHeapPolicy(log: Logger, env: NodeJS.ProcessEnv = process.env): number {
  const percent = heapGrowingPercent(log, env);
  if (percent === 0) return 0;
  let capped = false;
  const check = (): void => {
    const used = getHeapStatistics().used_heap_size;
    const want = capped ? used > HEAP_CAP_FROM_BYTES * 0.75 : used > HEAP_CAP_FROM_BYTES;
    if (want === capped) return;
    // V8 reads the flag each time it sets the next limit (0 is its own factor), so it can change at run time.
    setFlagsFromString(`--heap-growing-percent=${want ? percent : 0}`);
    capped = want;
  };
  setInterval(check, CHECK_MS).unref();
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
