import type { AgentHello__Output, Event__Output } from '@fsso/common';

/**
 * Sequence numbers an agent may claim. The collector's high-water mark only moves forward, and an
 * event at or below it is a duplicate, so one batch with an absurd seq (2^53-1) would make every
 * later event of that agent a "duplicate": silenced, though connected. These checks refuse such a
 * batch whole, before anything is written, so the mark stays where it was. (Seqs that are not
 * safe integers cannot move the mark; the ingestor rejects those events one by one.)
 */

/** Largest seq taken: Number.MAX_SAFE_INTEGER itself is what a forged or overflowed counter shows. */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER - 1;

const isSeq = (n: number, min: number): boolean => Number.isSafeInteger(n) && n >= min && n <= MAX_SEQ;

/** Why a hello's sequence fields cannot be right, or undefined. */
export function helloSeqProblem(h: AgentHello__Output): string | undefined {
  if (h.spoolId === '')
    return 'spoolId is empty; an agent names its spool so the collector can tell a new spool (sequences start over) from a resumed one: upgrade the agent';
  if (h.spoolId.length > 128) return 'spoolId is longer than 128 characters';
  if (!isSeq(h.headSeq, 0)) return `headSeq ${h.headSeq} is not a sequence number (0 to ${MAX_SEQ})`;
  if (!isSeq(h.lastAckedSeq, 0)) return `lastAckedSeq ${h.lastAckedSeq} is not a sequence number (0 to ${MAX_SEQ})`;
  return undefined;
}

/**
 * Why a batch's seqs cannot be right, or undefined. A legitimate agent sends events it has spooled,
 * so every seq is at most the head it reports with the batch, and (spool seqs count up by one, with
 * gaps only where a full spool dropped events) at most `maxBatchEvents` past the hello's head or
 * the highest seq it sent since. The batch's own head cannot widen that window, so reaching 2^53
 * would take 2^53 / maxBatchEvents batches. A legitimate batch past it (after a large drop) is
 * refused; the agent reconnects, its new hello reports the new head, and the batch is delayed, never lost.
 *
 * @param known the hello's headSeq, or the highest seq accepted on this stream since, if higher
 */
export function batchSeqProblem(
  events: readonly Event__Output[],
  batchHead: number,
  known: number,
  maxBatchEvents: number,
): string | undefined {
  if (!isSeq(batchHead, 0)) return `headSeq ${batchHead} is not a sequence number (0 to ${MAX_SEQ})`;
  const max = maxSeq(events);
  if (max > MAX_SEQ) return `event seq ${max} is not a sequence number (1 to ${MAX_SEQ})`;
  if (max > batchHead)
    return `event seq ${max} is beyond the head ${batchHead} the batch reports; an agent sends only events it has spooled`;
  if (max > known + maxBatchEvents)
    return `event seq ${max} jumps more than limits.maxBatchEvents (${maxBatchEvents}) past seq ${known} (the hello's head or the last seq sent); reconnect so the hello reports the real head`;
  return undefined;
}

/**
 * The highest seq in a batch that could move the mark (0 if none). Seqs that are not safe
 * integers (past 2^53, fractions) never move it: the ingestor rejects those events one by one.
 */
export function maxSeq(events: readonly Event__Output[]): number {
  let max = 0;
  for (const e of events) if (Number.isSafeInteger(e.seq) && e.seq > max) max = e.seq;
  return max;
}
