/**
 * When each account's groups are next due for a look-up, with one timer for the earliest. Each
 * account has its own due time (fetched + TTL, or a retry's backoff), so a change in the directory
 * shows within the TTL; the sweep at TTL/2 it replaces let a change wait up to 1.5 × TTL.
 *
 * A binary min-heap with lazy deletion: moving an account's due time pushes a new item, and items
 * that no longer match `dueOf` are skipped when they come up.
 */
export class DueQueue {
  private readonly heap: { atMs: number; key: string }[] = [];
  private readonly dueOf = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly now: () => number,
    private readonly fire: (key: string) => void,
  ) {}

  /** Sets (or moves) the account's due time. */
  set(key: string, atMs: number): void {
    if (this.dueOf.get(key) === atMs) return;
    this.dueOf.set(key, atMs);
    this.push({ atMs, key });
    // Lazy deletion leaves old items behind; rebuilt when they outnumber the live ones, so the
    // heap stays within twice the number of accounts.
    if (this.heap.length > 2 * this.dueOf.size + 1024) this.rebuild();
    if (this.running) this.arm();
  }

  delete(key: string): void {
    this.dueOf.delete(key);
  }

  get size(): number {
    return this.dueOf.size;
  }

  /** When the account is due, for tests and `fssoctl`. */
  dueAt(key: string): number | undefined {
    return this.dueOf.get(key);
  }

  start(): void {
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Fires every account due by now; returns how many fired. */
  runDue(): number {
    const now = this.now();
    let fired = 0;
    for (let top = this.heap[0]; top && top.atMs <= now; top = this.heap[0]) {
      this.pop();
      if (this.dueOf.get(top.key) !== top.atMs) continue;
      this.dueOf.delete(top.key);
      fired++;
      this.fire(top.key);
    }
    return fired;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.heap[0] && this.dueOf.get(this.heap[0].key) !== this.heap[0].atMs) this.pop();
    const top = this.heap[0];
    if (!top) return;
    // setTimeout takes at most 2^31-1 ms; a later due time is re-armed when this one fires.
    const delay = Math.min(Math.max(0, top.atMs - this.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.runDue();
      if (this.running) this.arm();
    }, delay);
    this.timer.unref();
  }

  private rebuild(): void {
    this.heap.length = 0;
    for (const [key, atMs] of this.dueOf) this.push({ atMs, key });
  }

  private push(item: { atMs: number; key: string }): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as { atMs: number; key: string };
      if (parent.atMs <= item.atMs) break;
      h[i] = parent;
      i = p;
    }
    h[i] = item;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (!last || h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let best = last.atMs;
      const hl = h[l];
      const hr = h[r];
      if (hl && hl.atMs < best) {
        m = l;
        best = hl.atMs;
      }
      if (hr && hr.atMs < best) m = r;
      if (m === i) break;
      h[i] = h[m] as { atMs: number; key: string };
      i = m;
    }
    h[i] = last;
  }
}
