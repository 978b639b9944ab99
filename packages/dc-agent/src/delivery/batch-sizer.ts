import type { Event } from '@fsso/common';
import type { CollectorLimits } from './link-report';

/** Room left in a message for the batch's own fields (its tag, length and head_seq). */
const ENVELOPE_BYTES = 64;
/**
 * Per event, on top of its JSON length: the seq (up to 10 bytes as a varint) and the repeated
 * field's tag and length. The JSON text of an event is longer than its protobuf encoding (field
 * names against one-byte tags, enum names against varints), so the sum is an upper bound.
 */
const PER_EVENT_BYTES = 16;
/** Pace below the collector's rate: its bucket sees our batches after the network's jitter. */
const RATE_MARGIN = 0.9;

/**
 * Sizes batches to the collector's limits from its welcome: no more events than its
 * maxBatchEvents (nor our batchSize), no more bytes than its maxMessageBytes, and paced under its
 * maxEventsPerSecond. Without this a batch over a limit is refused, the stream reopens, and the
 * same batch is sent again: a reconnect loop that never delivers.
 */
export class BatchSizer {
  private limits: CollectorLimits | undefined;
  private tokens = 0;
  private lastMs = 0;

  constructor(private readonly batchSize: number) {}

  /** The limits of the collector now connected (0 in a field: that limit was not told). */
  use(limits: CollectorLimits): void {
    const changed = limits.maxEventsPerSecond !== this.limits?.maxEventsPerSecond;
    this.limits = limits;
    if (changed) {
      this.tokens = this.capacity;
      this.lastMs = Date.now();
    }
  }

  /** Events to read for the next batch. */
  get maxEvents(): number {
    const l = this.limits;
    let n = this.batchSize;
    if (l?.maxBatchEvents) n = Math.min(n, l.maxBatchEvents);
    if (l?.maxEventsPerSecond) n = Math.min(n, Math.max(1, Math.floor(this.capacity)));
    return n;
  }

  private get capacity(): number {
    return (this.limits?.maxEventsPerSecond ?? 0) * RATE_MARGIN;
  }

  /** The longest prefix of `events` that fits the collector's message size (at least one event). */
  fit(events: Event[]): Event[] {
    const max = this.limits?.maxMessageBytes;
    if (!max) return events;
    let bytes = ENVELOPE_BYTES;
    for (let i = 0; i < events.length; i++) {
      bytes += Buffer.byteLength(JSON.stringify(events[i])) + PER_EVENT_BYTES;
      if (bytes > max) return events.slice(0, Math.max(1, i));
    }
    return events;
  }

  /** 0 if `n` events may be sent now (they are counted), else how long to wait first. */
  waitMs(n: number): number {
    const cap = this.capacity;
    if (cap <= 0) return 0;
    const now = Date.now();
    this.tokens = Math.min(cap, this.tokens + ((now - this.lastMs) / 1000) * cap);
    this.lastMs = now;
    if (n <= this.tokens) {
      this.tokens -= n;
      return 0;
    }
    return Math.ceil(((n - this.tokens) / cap) * 1000);
  }
}
