import type { Identity__Output } from '@fsso/common';
import { IdentityView } from './identity-view';
import { FLAG_BITS, ROW_FLAGS } from './replica-flags';

const { SHARED, GROUPS_STALE, INFERRED, CONTESTED } = ROW_FLAGS;
/**
 * Above the flags, each slot's flags word counts the writes to that slot (put and delete), mod
 * 2^28: with the revision, what a view (IdentityView) checks to tell its entry is still there.
 */
const GENERATION_SHIFT = 4;
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

  get size(): number {
    return this.strings.length + this.sets.length;
  }

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

/** A slot's record: 5 doubles (40 bytes), [firstSeenMs, lastSeenMs, revision] then 4 u32s. */
const F64 = 5;
const U32 = 2 * F64;
/** Where the u32s start in a record: [flags, domain, source, group set]. */
const INTS = 6;

/**
 * The IP → identity table of a replica, column by column: a Map from address to slot, one
 * record of numbers per slot, one array of the per-entry strings. One JS object per entry (17
 * fields, two boxed doubles) cost about 290 bytes an entry on Node 20; this costs about 150.
 * `view` gives what `lookup()` returns (IdentityView: getters on the slot), `at`/`get` a plain
 * copy; the decision path reads the slot (CompiledPolicy.decideAt) and needs no object.
 */
export class ReplicaTable {
  private readonly slots = new Map<string, number>();
  private readonly free: number[] = [];
  private cap: number;
  private used = 0;
  /** Per slot [user, workstation], side by side: building an Identity misses the cache once for both. */
  private strs: string[];
  /**
   * Per slot one 40-byte record, seen as doubles (times, revision) and as u32s (flags and
   * dictionary ids) over the same memory: at 1 M entries each separate column read in `at` was
   * a cache miss of its own, and those misses, not the object built, made up most of a lookup.
   */
  private nums: Float64Array;
  private ints: Uint32Array;
  /** decide()'s cache per slot, [policy, decision] (made on first use). */
  private decisions: unknown[] | undefined;

  /** `expected`: how many entries the table will hold (a snapshot's total), so the records are made once. */
  constructor(
    readonly dict: Dictionary,
    expected = 0,
  ) {
    // A snapshot's total comes from the collector: believed up to a bound, grown past it.
    this.cap = Math.max(64, Math.min(expected, 1 << 24));
    this.nums = new Float64Array(F64 * this.cap);
    this.ints = new Uint32Array(this.nums.buffer);
    // Made at its size too: an array grown by appends copies itself and overshoots on the way.
    this.strs = new Array<string>(2 * this.cap).fill('');
  }

  get size(): number {
    return this.slots.size;
  }

  slotOf(ip: string): number | undefined {
    return this.slots.get(ip);
  }

  /**
   * The Identity at `slot` (the entry of `ip`): a new plain object each call, with every field
   * (JSON and spreads see them). The caller has the address already, as the Map's key: no
   * column holds it a second time.
   */
  at(ip: string, slot: number): Identity__Output {
    const d = this.dict;
    const n = F64 * slot;
    const i = U32 * slot + INTS;
    const u = 2 * slot;
    const f = this.ints[i] as number;
    const set = d.sets[this.ints[i + 3] as number] as GroupSet;
    return {
      ip,
      user: this.strs[u] as string,
      domain: d.strings[this.ints[i + 1] as number] as string,
      groups: set.groups,
      workstation: this.strs[u + 1] as string,
      firstSeenMs: this.nums[n] as number,
      lastSeenMs: this.nums[n + 1] as number,
      source: d.strings[this.ints[i + 2] as number] as string,
      revision: this.nums[n + 2] as number,
      shared: (f & SHARED) !== 0,
      groupsStale: (f & GROUPS_STALE) !== 0,
      inferred: (f & INFERRED) !== 0,
      contested: (f & CONTESTED) !== 0,
      groupDns: set.dns,
    };
  }

  get(ip: string): Identity__Output | undefined {
    const s = this.slots.get(ip);
    return s === undefined ? undefined : this.at(ip, s);
  }

  /**
   * A view on the entry at `slot` (the entry of `ip`): the record's flags word (with the slot's
   * write count) and revision, read now, are what its getters check later.
   */
  view(ip: string, slot: number): IdentityView {
    return new IdentityView(
      this,
      ip,
      slot,
      this.ints[U32 * slot + INTS] as number,
      this.nums[F64 * slot + 2] as number,
    );
  }

  /** Whether `slot` still holds the entry whose flags word and revision were `word` and `revision`. */
  holds(slot: number, word: number, revision: number): boolean {
    return this.ints[U32 * slot + INTS] === word && this.nums[F64 * slot + 2] === revision;
  }

  /** What decide() reads first, without building the Identity: the flags (ROW_FLAGS) and the user. */
  flagsAt(slot: number): number {
    return (this.ints[U32 * slot + INTS] as number) & FLAG_BITS;
  }

  userAt(slot: number): string {
    return this.strs[2 * slot] as string;
  }

  workstationAt(slot: number): string {
    return this.strs[2 * slot + 1] as string;
  }

  domainAt(slot: number): string {
    return this.dict.strings[this.ints[U32 * slot + INTS + 1] as number] as string;
  }

  sourceAt(slot: number): string {
    return this.dict.strings[this.ints[U32 * slot + INTS + 2] as number] as string;
  }

  setAt(slot: number): GroupSet {
    return this.dict.sets[this.ints[U32 * slot + INTS + 3] as number] as GroupSet;
  }

  firstSeenAt(slot: number): number {
    return this.nums[F64 * slot] as number;
  }

  lastSeenAt(slot: number): number {
    return this.nums[F64 * slot + 1] as number;
  }

  put(r: Row): void {
    let s = this.slots.get(r.ip);
    if (s === undefined) {
      s = this.free.pop() ?? this.used++;
      if (s >= this.cap) this.grow();
      this.slots.set(r.ip, s);
    }
    this.strs[2 * s] = r.user;
    this.strs[2 * s + 1] = r.workstation;
    const n = F64 * s;
    this.nums[n] = r.firstSeenMs;
    this.nums[n + 1] = r.lastSeenMs;
    this.nums[n + 2] = r.revision;
    const i = U32 * s + INTS;
    this.ints[i] = nextWrite(this.ints[i] as number) | (r.flags & FLAG_BITS);
    this.ints[i + 1] = r.domain;
    this.ints[i + 2] = r.source;
    this.ints[i + 3] = r.set;
    // A cached decision was for the entry that was here.
    if (this.decisions) this.decisions[2 * s] = undefined;
  }

  delete(ip: string): void {
    const s = this.slots.get(ip);
    if (s === undefined) return;
    this.slots.delete(ip);
    this.strs[2 * s] = '';
    this.strs[2 * s + 1] = '';
    // The slot goes back to the free list: a view on the entry removed must not read the next one.
    const i = U32 * s + INTS;
    this.ints[i] = nextWrite(this.ints[i] as number);
    if (this.decisions) this.decisions[2 * s] = undefined;
    this.free.push(s);
  }

  /** Every entry's address and slot, in insertion order. */
  slotList(): IterableIterator<[string, number]> {
    return this.slots.entries();
  }

  /**
   * decide()'s per-slot cache, made on first use (only a replica that decides pays for it): at
   * 2 * slot the policy that decided the entry last, at 2 * slot + 1 its decision, side by side
   * so a cached decision costs one more memory access after the Map.get.
   */
  decisionCache(): unknown[] {
    this.decisions ??= new Array<unknown>(2 * this.cap).fill(undefined);
    return this.decisions;
  }

  /**
   * The replica replaced this table by a fresh snapshot: its columns go (views still held do not
   * keep them alive), and every view on it reads as stale, since the entry may differ in the new one.
   */
  retire(): void {
    this.slots.clear();
    this.free.length = 0;
    this.cap = 0;
    this.used = 0;
    this.nums = new Float64Array(0);
    this.ints = new Uint32Array(0);
    this.strs = [];
    this.decisions = undefined;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const nums = new Float64Array(F64 * cap);
    nums.set(this.nums);
    this.nums = nums;
    this.ints = new Uint32Array(nums.buffer);
    for (let i = 2 * this.cap; i < 2 * cap; i++) this.strs.push('');
    if (this.decisions) for (let i = 2 * this.cap; i < 2 * cap; i++) this.decisions.push(undefined);
    this.cap = cap;
  }
}

/** The flags word's write count, one more (mod 2^28), with the flags cleared. */
function nextWrite(word: number): number {
  return (((word >>> GENERATION_SHIFT) + 1) << GENERATION_SHIFT) >>> 0;
}

export { ROW_FLAGS } from './replica-flags';
