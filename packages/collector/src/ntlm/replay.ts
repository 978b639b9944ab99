import { createHash } from 'node:crypto';

/**
 * Answers (NTLM type 3, SPNEGO tokens after the first) already used. An answer is bound to the
 * one challenge its helper issued, and the helper forgets that challenge after the verdict; this
 * list also refuses an exact replay outright, so it is logged and counted as one. Bounded: the
 * oldest are forgotten first, and an answer older than `ttlMs` is void anyway (its challenge
 * expired with the exchange).
 */
export class UsedAnswers {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly max = 100_000,
  ) {}

  /** Marks `token` used; false if it already was (within the TTL). */
  use(token: Uint8Array, now: number): boolean {
    const key = createHash('sha256').update(token).digest('base64');
    const at = this.seen.get(key);
    if (at !== undefined && now - at < this.ttlMs) return false;
    this.seen.delete(key);
    this.seen.set(key, now);
    // Map iteration is insertion order: the first keys are the oldest.
    for (const [k, t] of this.seen) {
      if (this.seen.size <= this.max && now - t < this.ttlMs) break;
      this.seen.delete(k);
    }
    return true;
  }
}
