import type { Change, SyncMessage } from '@fsso/common';

/** One queued message and its encoded size. */
export interface Sized {
  m: SyncMessage;
  bytes: number;
}

/**
 * A ChangeBatch not yet handed to grpc-js. Slots of changes overtaken by a newer change of the
 * same address are emptied (not spliced) so the others keep their increasing revision order.
 */
interface PendingBatch {
  batch: true;
  slots: (Change | undefined)[];
  sizes: number[];
  bytes: number;
}

type Item = Sized | PendingBatch;

/** A ChangeBatch grows to this many bytes at most before the next one starts (the client reads it whole). */
const MAX_BATCH_BYTES = 1024 * 1024;
/** Field tag and length prefix of a Change inside a ChangeBatch (the estimate errs high). */
const PER_CHANGE_OVERHEAD = 6;

/**
 * What a Sync stream has yet to hand to grpc-js, in order, counted in bytes. For a client that
 * takes ChangeBatch messages, every committed batch becomes one message, and while the client is
 * behind (changes still queued here) a change of an address that already waits here replaces the
 * waiting one: the client gets the newest state of each address, in revision order, and the queue
 * of a slow reader grows with the addresses that changed, not with every change of them.
 *
 * A FIFO with a moving head: `Array.shift` copies the whole array, and at 20 k changes/s with a
 * reader a few seconds behind that copying was the collector's busiest function.
 */
export class SyncQueue {
  private items: Item[] = [];
  private head = 0;
  /** Where each waiting change sits: its batch and slot (batch clients only). */
  private readonly waiting = new Map<string, { batch: PendingBatch; slot: number }>();
  /** Bytes waiting here. */
  bytes = 0;
  /** Changes dropped because a newer change of the same address replaced them while waiting. */
  coalesced = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(m: SyncMessage, bytes: number): void {
    this.items.push({ m, bytes });
    this.bytes += bytes;
  }

  /**
   * Adds one committed batch's changes, each with its encoded size. Returns the bytes this added
   * to the queue (negative when coalescing freed more than the batch brought).
   */
  pushBatch(changes: readonly { change: Change; bytes: number }[]): number {
    const before = this.bytes;
    let tail = this.items[this.items.length - 1];
    for (const { change: c, bytes } of changes) {
      const was = this.waiting.get(c.ip ?? '');
      if (was) {
        // Overtaken: the newer change goes at the end, so revisions stay in order.
        const old = was.batch.sizes[was.slot] ?? 0;
        was.batch.slots[was.slot] = undefined;
        was.batch.bytes -= old;
        this.bytes -= old;
        this.coalesced++;
      }
      const size = bytes + PER_CHANGE_OVERHEAD;
      if (tail === undefined || !('batch' in tail) || this.length === 0 || tail.bytes + size > MAX_BATCH_BYTES) {
        tail = { batch: true, slots: [], sizes: [], bytes: 0 };
        this.items.push(tail);
      }
      this.waiting.set(c.ip ?? '', { batch: tail, slot: tail.slots.length });
      tail.slots.push(c);
      tail.sizes.push(size);
      tail.bytes += size;
      this.bytes += size;
    }
    return this.bytes - before;
  }

  /** The next message to write, with its size; undefined when nothing waits. */
  shift(): Sized | undefined {
    for (;;) {
      const item = this.items[this.head];
      if (item === undefined) return undefined;
      this.items[this.head++] = undefined as unknown as Item;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      this.bytes -= item.bytes;
      if (!('batch' in item)) return item;
      const changes: Change[] = [];
      for (const c of item.slots) {
        if (c === undefined) continue;
        changes.push(c);
        this.waiting.delete(c.ip ?? '');
      }
      // A batch whose every change was overtaken has nothing left to say.
      if (changes.length > 0) return { m: { changeBatch: { changes } }, bytes: item.bytes };
    }
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.waiting.clear();
    this.bytes = 0;
  }
}
