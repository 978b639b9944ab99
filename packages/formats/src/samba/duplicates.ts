/** How close two identical successes must be (by event time) for the second to be a repeat. */
export const DUPLICATE_WINDOW_MS = 2_000;

/**
 * Recognises the repeat Samba logs when one logon is carried out twice. `kinit` over UDP is the
 * common case: the AS-REP is too big for UDP, the client retries over TCP, and the KDC logs two
 * identical successes a few milliseconds apart (different source ports, same everything else).
 * The key leaves out the port for that reason. Times are compared with the last record that was
 * kept, so a steady stream of logons still yields one event every window.
 */
export class DuplicateFilter {
  private readonly lastKept = new Map<string, number>();
  private newest = -Infinity;

  /** True when `key` was kept less than the window before `timeMs`; otherwise remembers it. */
  isRepeat(key: string, timeMs: number): boolean {
    const prev = this.lastKept.get(key);
    if (prev !== undefined && Math.abs(timeMs - prev) <= DUPLICATE_WINDOW_MS) return true;
    this.lastKept.set(key, timeMs);
    this.forgetOld(timeMs);
    return false;
  }

  /** Keeps the map small on a long-running follower: entries older than the window can never match. */
  private forgetOld(timeMs: number): void {
    this.newest = Math.max(this.newest, timeMs);
    if (this.lastKept.size < 1024) return;
    for (const [key, t] of this.lastKept) {
      if (this.newest - t > DUPLICATE_WINDOW_MS) this.lastKept.delete(key);
    }
  }
}
