import type { Identity__Output } from '@fsso/common';

const SHARED = 1;
const GROUPS_STALE = 2;
const INFERRED = 4;
const CONTESTED = 8;
const EMPTY: string[] = Object.freeze([]) as unknown as string[];

/** A group set as entries share it: frozen, since one list serves every entry with those groups. */
export interface GroupSet {
  groups: string[];
  dns: string[];
}

/**
 * The strings and group sets a replica's entries name, each held once and referred to by number:
 * a million entries repeat a handful of domains and sources and a few thousand group sets. Shared
 * by the tables a replica builds one after the other; it only grows (by distinct values).
 */
export class Dictionary {
  readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  readonly sets: GroupSet[] = [{ groups: EMPTY, dns: EMPTY }];
  private readonly setIds = new Map<string, number>([['\u0001', 0]]);

  string(s: string): number {
    let i = this.stringIds.get(s);
    if (i === undefined) {
      this.stringIds.set(s, (i = this.strings.length));
      this.strings.push(s);
    }
    return i;
  }

  set(groups: readonly string[], dns: readonly string[]): number {
    if (groups.length === 0 && dns.length === 0) return 0;
    // NUL never occurs in a group name or DN from the collector, so the key is unambiguous.
    const key = `${groups.join('\u0000')}\u0001${dns.join('\u0000')}`;
    let i = this.setIds.get(key);
    if (i === undefined) {
      const own = (a: readonly string[]): string[] =>
        a.length === 0 ? EMPTY : (Object.freeze(a.map((x) => this.strings[this.string(x)])) as string[]);
      this.setIds.set(key, (i = this.sets.length));
      this.sets.push({ groups: own(groups), dns: own(dns) });
    }
    return i;
  }
}

/** One entry's fields, as a change or a snapshot chunk gives them (strings and sets already numbered). */
export interface Row {
  ip: string;
  user: string;
  workstation: string;
  domain: number;
  source: number;
  set: number;
  firstSeenMs: number;
  lastSeenMs: number;
  revision: number;
  flags: number;
}

/**
 * The IP → identity table of a replica, column by column: a Map from address to slot, typed
 * arrays for the numbers, flags and dictionary ids, plain arrays for the per-entry strings. One
 * JS object per entry (17 fields, two boxed doubles) cost about 290 bytes an entry on Node 20;
 * this costs about 150. `get` builds the Identity a caller sees; the decision path reads the
 * slot (CompiledPolicy.decideAt) and needs no object.
 */
export class ReplicaTable {
  private readonly slots = new Map<string, number>();
  private readonly free: number[] = [];
  private cap: number;
  private used = 0;
  private ips: string[] = [];
  private users: string[] = [];
  private workstations: string[] = [];
  private first: Float64Array;
  private last: Float64Array;
  private rev: Float64Array;
  private flags: Uint8Array;
  private domain: Uint32Array;
  private source: Uint32Array;
  private set: Uint32Array;
  /** decide()'s cache per slot: the policy that decided it last, and its decision (made on first use). */
  decidedBy: unknown[] | undefined;
  decided: unknown[] | undefined;

  /** `expected`: how many entries the table will hold (a snapshot's total), so the columns are made once. */
  constructor(
    readonly dict: Dictionary,
    expected = 0,
  ) {
    // A snapshot's total comes from the collector: believed up to a bound, grown past it.
    this.cap = Math.max(64, Math.min(expected, 1 << 24));
    this.first = new Float64Array(this.cap);
    this.last = new Float64Array(this.cap);
    this.rev = new Float64Array(this.cap);
    this.flags = new Uint8Array(this.cap);
    this.domain = new Uint32Array(this.cap);
    this.source = new Uint32Array(this.cap);
    this.set = new Uint32Array(this.cap);
  }

  get size(): number {
    return this.slots.size;
  }

  slotOf(ip: string): number | undefined {
    return this.slots.get(ip);
  }

  /** The Identity at `slot`: a new plain object each call, with every field (JSON and spreads see them). */
  at(slot: number): Identity__Output {
    const d = this.dict;
    const set = d.sets[this.set[slot] as number] as GroupSet;
    const f = this.flags[slot] as number;
    return {
      ip: this.ips[slot] as string,
      user: this.users[slot] as string,
      domain: d.strings[this.domain[slot] as number] as string,
      groups: set.groups,
      workstation: this.workstations[slot] as string,
      firstSeenMs: this.first[slot] as number,
      lastSeenMs: this.last[slot] as number,
      source: d.strings[this.source[slot] as number] as string,
      revision: this.rev[slot] as number,
      shared: (f & SHARED) !== 0,
      groupsStale: (f & GROUPS_STALE) !== 0,
      inferred: (f & INFERRED) !== 0,
      contested: (f & CONTESTED) !== 0,
      groupDns: set.dns,
    };
  }

  get(ip: string): Identity__Output | undefined {
    const s = this.slots.get(ip);
    return s === undefined ? undefined : this.at(s);
  }

  /** What decide() reads first, without building the Identity: the flags (ROW_FLAGS) and the user. */
  flagsAt(slot: number): number {
    return this.flags[slot] as number;
  }

  userAt(slot: number): string {
    return this.users[slot] as string;
  }

  put(r: Row): void {
    let s = this.slots.get(r.ip);
    if (s === undefined) {
      s = this.free.pop() ?? this.used++;
      if (s >= this.cap) this.grow();
      this.slots.set(r.ip, s);
    }
    this.ips[s] = r.ip;
    this.users[s] = r.user;
    this.workstations[s] = r.workstation;
    this.first[s] = r.firstSeenMs;
    this.last[s] = r.lastSeenMs;
    this.rev[s] = r.revision;
    this.flags[s] = r.flags;
    this.domain[s] = r.domain;
    this.source[s] = r.source;
    this.set[s] = r.set;
    // A cached decision was for the entry that was here.
    if (this.decidedBy) this.decidedBy[s] = undefined;
  }

  delete(ip: string): void {
    const s = this.slots.get(ip);
    if (s === undefined) return;
    this.slots.delete(ip);
    this.ips[s] = '';
    this.users[s] = '';
    this.workstations[s] = '';
    if (this.decidedBy) this.decidedBy[s] = undefined;
    this.free.push(s);
  }

  /** Every entry's slot, in insertion order. */
  slotList(): IterableIterator<number> {
    return this.slots.values();
  }

  /** Makes decide()'s per-slot cache (only a replica that decides pays for it). */
  decisionCache(): { by: unknown[]; decided: unknown[] } {
    if (!this.decidedBy || !this.decided) {
      this.decidedBy = new Array<unknown>(this.cap).fill(undefined);
      this.decided = new Array<unknown>(this.cap).fill(undefined);
    }
    return { by: this.decidedBy, decided: this.decided };
  }

  private grow(): void {
    const cap = this.cap * 2;
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const u32 = (a: Uint32Array): Uint32Array => {
      const b = new Uint32Array(cap);
      b.set(a);
      return b;
    };
    this.first = f64(this.first);
    this.last = f64(this.last);
    this.rev = f64(this.rev);
    const flags = new Uint8Array(cap);
    flags.set(this.flags);
    this.flags = flags;
    this.domain = u32(this.domain);
    this.source = u32(this.source);
    this.set = u32(this.set);
    if (this.decidedBy && this.decided) {
      for (let i = this.cap; i < cap; i++) {
        this.decidedBy.push(undefined);
        this.decided.push(undefined);
      }
    }
    this.cap = cap;
  }
}

export const ROW_FLAGS = { SHARED, GROUPS_STALE, INFERRED, CONTESTED } as const;
