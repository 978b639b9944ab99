import * as grpc from '@grpc/grpc-js';
import { loadFsso, type Change, type SyncMessage, type SyncRequest__Output } from '@fsso/common';
import type { TableChange } from '../identity/entry';
import { SyncQueue, type Sized } from '../sync/queue';
import { toChange } from './convert';
import { endWithStatus } from './status';

type SyncCall = grpc.ServerWritableStream<SyncRequest__Output, SyncMessage>;

/** Bytes handed to grpc-js at once per stream; more waits for the client to read. */
const WINDOW_BYTES = 1024 * 1024;

/** The byte budget all Sync streams share. */
export class SyncBudget {
  total = 0;
  readonly senders = new Set<SyncSender>();
  constructor(
    readonly perStream: number,
    readonly maxTotal: number,
  ) {}
}

let serialize: ((m: SyncMessage) => Buffer) | undefined;
/** The encoded size, by the same encoder grpc-js uses: `writableLength` counts messages, not bytes. */
export function encodedSize(m: SyncMessage): number {
  serialize ??= loadFsso().proto.fsso.v1.IdentityService.service.Sync.responseSerialize as (m: SyncMessage) => Buffer;
  return serialize(m).length;
}

const changeCache = new WeakMap<TableChange, { m: SyncMessage; bytes: number }>();
/** A change's message and size, computed once however many streams send it. */
export function changeMessage(c: TableChange): { m: SyncMessage; bytes: number } {
  let hit = changeCache.get(c);
  if (!hit) {
    const m: SyncMessage = { change: toChange(c) };
    changeCache.set(c, (hit = { m, bytes: encodedSize(m) }));
  }
  return hit;
}

export type Overflow = (limit: 'maxSyncBufferBytes' | 'maxSyncBufferTotalBytes', bufferedBytes: number) => void;

/**
 * Writes one Sync stream with backpressure. A snapshot (or a resume's catch-up) is produced lazily,
 * a window at a time, as the client reads; live changes queue behind it. What is queued or in
 * flight is counted in bytes against the stream's and the shared budget: past either, the stream
 * ends with RESOURCE_EXHAUSTED, and the client resumes from its last revision when it reads again.
 * Before, a firewall that stopped reading made the collector hold every message it was sent.
 */
export class SyncSender {
  private readonly live = new SyncQueue();
  private inFlight = 0;
  private ended = false;

  /** `batches`: the client set accept_batches, so committed batches go out as ChangeBatch messages. */
  constructor(
    private readonly call: SyncCall,
    private readonly budget: SyncBudget,
    private prefix: Iterator<SyncMessage | Sized> | undefined,
    private readonly overflow: Overflow,
    private readonly batches = false,
  ) {
    budget.senders.add(this);
    this.pump();
  }

  get buffered(): number {
    return this.inFlight + this.live.bytes;
  }

  push(m: SyncMessage, bytes = encodedSize(m)): void {
    if (!this.admit(bytes)) return;
    this.live.push(m, bytes);
    this.budget.total += bytes;
    this.pump();
  }

  /** One committed batch's changes: one ChangeBatch message, or (older clients) one message each. */
  pushChanges(changes: readonly TableChange[]): void {
    const sized = changes.map(changeMessage);
    if (!this.batches) {
      for (const { m, bytes } of sized) this.push(m, bytes);
      return;
    }
    let bytes = 0;
    for (const s of sized) bytes += s.bytes;
    // Admitted on the size before coalescing: an estimate that errs high, never low.
    if (!this.admit(bytes)) return;
    this.budget.total += this.live.pushBatch(sized.map((s) => ({ change: s.m.change as Change, bytes: s.bytes })));
    this.pump();
  }

  /** Whether `bytes` more fit this stream's and the shared budget; if not, the stream (or the slowest) ends. */
  private admit(bytes: number): boolean {
    if (this.ended) return false;
    if (this.buffered + bytes > this.budget.perStream) {
      this.fail('maxSyncBufferBytes');
      return false;
    }
    if (this.budget.total + bytes > this.budget.maxTotal) {
      // The slowest reader goes first: it holds the most, and ending it frees the most.
      let worst: SyncSender = this;
      for (const s of this.budget.senders) if (s.buffered > worst.buffered) worst = s;
      worst.fail('maxSyncBufferTotalBytes');
      if (worst === this || this.budget.total + bytes > this.budget.maxTotal) {
        if (!this.ended) this.fail('maxSyncBufferTotalBytes');
        return false;
      }
    }
    return true;
  }

  /** Ends the stream cleanly (collector stopping) or forgets it (client gone). */
  close(end: boolean): void {
    if (this.ended) return;
    this.release();
    if (end) this.call.end();
  }

  private pump(): void {
    while (!this.ended && this.inFlight < WINDOW_BYTES) {
      let m: SyncMessage;
      let bytes: number;
      const next = this.prefix?.next();
      if (next && !next.done) {
        // A snapshot chunk comes with an estimate of its size: encoding it once to count its bytes
        // and again to send it made a 1 M-entry snapshot encode 2 M entries.
        const v = next.value;
        if ('bytes' in v && 'm' in v) ({ m, bytes } = v as Sized);
        else {
          m = v as SyncMessage;
          bytes = encodedSize(m);
        }
        this.budget.total += bytes;
      } else {
        this.prefix = undefined;
        const q = this.live.shift();
        if (!q) return;
        ({ m, bytes } = q);
      }
      this.inFlight += bytes;
      this.call.write(m, () => {
        if (this.ended) return;
        this.inFlight -= bytes;
        this.budget.total -= bytes;
        this.pump();
      });
    }
  }

  private fail(limit: 'maxSyncBufferBytes' | 'maxSyncBufferTotalBytes'): void {
    if (this.ended) return;
    const buffered = this.buffered;
    this.release();
    this.overflow(limit, buffered);
    const max = limit === 'maxSyncBufferBytes' ? this.budget.perStream : this.budget.maxTotal;
    endWithStatus(
      this.call,
      grpc.status.RESOURCE_EXHAUSTED,
      `the client is not reading: ${buffered} bytes queued for it, over limits.${limit} (${max}); read faster, then reconnect with your last revision`,
    );
  }

  private release(): void {
    this.ended = true;
    this.budget.total -= this.buffered;
    this.live.clear();
    this.inFlight = 0;
    this.budget.senders.delete(this);
  }
}
