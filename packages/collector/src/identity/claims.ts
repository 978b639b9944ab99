import { evidenceOf, type Claim, type Entry } from './entry';

/** Claims kept per address: enough to explain a contest or a shared host, bounded whatever agents send. */
const MAX_CLAIMS = 16;

/** The claim an entry's holder has to its address. */
export function holderClaim(e: Entry): Claim {
  return {
    user: e.user,
    domain: e.domain,
    reporter: evidenceOf(e).at(-1)?.reporter ?? '',
    timeMs: Math.max(e.userSeenMs, e.firstSeenMs),
  };
}

/** An address's claims, newest evidence per account, bounded (the oldest go first). */
export class ClaimList {
  private readonly list: Claim[];
  constructor(items: readonly Claim[]) {
    this.list = [...items];
  }

  /**
   * Notes an account's evidence. `keepFirst` pins the first claim (a contested address's holder),
   * so a flood of claimants never pushes the holder out.
   */
  note(c: Claim, keepFirst = false): this {
    const i = this.list.findIndex((x) => x.user === c.user && x.domain === c.domain);
    if (i >= 0) {
      const old = this.list[i];
      if (old)
        this.list[i] = {
          ...old,
          reporter: c.timeMs >= old.timeMs ? c.reporter : old.reporter,
          timeMs: Math.max(old.timeMs, c.timeMs),
        };
      return this;
    }
    this.list.push(c);
    if (this.list.length > MAX_CLAIMS) {
      const from = keepFirst ? 1 : 0;
      let oldest = from;
      for (let j = from; j < this.list.length; j++)
        if ((this.list[j]?.timeMs ?? 0) < (this.list[oldest]?.timeMs ?? 0)) oldest = j;
      this.list.splice(oldest, 1);
    }
    return this;
  }

  /** Accounts with evidence at or after `sinceMs`. */
  liveAccounts(sinceMs: number): number {
    return this.list.filter((c) => c.timeMs >= sinceMs).length;
  }

  get size(): number {
    return this.list.length;
  }

  get items(): Claim[] {
    return this.list;
  }
}
