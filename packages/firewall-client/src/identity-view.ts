import { inspect } from 'node:util';
import { StaleIdentityError, type Identity__Output } from '@fsso/common';
import type { CompiledPolicy, PolicyDecision } from './policy';
import type { ReplicaTable } from './replica-table';
import { ROW_FLAGS } from './replica-flags';

const { SHARED, GROUPS_STALE, INFERRED, CONTESTED } = ROW_FLAGS;

/**
 * Who is at an address, as a replica's `lookup()` and `entries()` give it: the fields of an
 * Identity, read from the replica's table through getters. Building a plain object per call cost
 * three to four cache misses at 1 M entries (the record, the user and workstation, the group set)
 * and an allocation of 14 fields, a third of a `Map.get`'s speed; a view costs its record's read
 * and five fields, and each field read is paid only by whoever reads it.
 *
 * The table changes only when a Sync message is applied, on a later turn of the event loop, so
 * a view read in the same synchronous section as its `lookup()` is always consistent. Read
 * after its entry changed, was removed or the table was replaced (after an `await`, a timer),
 * every getter throws StaleIdentityError instead of answering with what the replica holds there
 * now: "never the wrong user". `toObject()` gives a plain copy to keep across an await.
 *
 * It is not a plain object: a spread or `Object.keys` sees only `ip`; `JSON.stringify` and
 * `util.inspect` show every field (toJSON), `assert.deepEqual` wants `toObject()`.
 */
export class IdentityView implements Identity__Output {
  readonly #table: ReplicaTable;
  readonly #slot: number;
  /** The slot's flags word (flags and write count) and revision at lookup. */
  readonly #word: number;
  readonly #revision: number;

  /** @internal Made by ReplicaTable.view. */
  constructor(
    table: ReplicaTable,
    readonly ip: string,
    slot: number,
    word: number,
    revision: number,
  ) {
    this.#table = table;
    this.#slot = slot;
    this.#word = word;
    this.#revision = revision;
  }

  get user(): string {
    return this.#table.userAt(this.#live());
  }
  get domain(): string {
    return this.#table.domainAt(this.#live());
  }
  get groups(): string[] {
    return this.#table.setAt(this.#live()).groups;
  }
  get workstation(): string {
    return this.#table.workstationAt(this.#live());
  }
  get firstSeenMs(): number {
    return this.#table.firstSeenAt(this.#live());
  }
  get lastSeenMs(): number {
    return this.#table.lastSeenAt(this.#live());
  }
  get source(): string {
    return this.#table.sourceAt(this.#live());
  }
  get revision(): number {
    this.#live();
    return this.#revision;
  }
  get shared(): boolean {
    this.#live();
    return (this.#word & SHARED) !== 0;
  }
  get groupsStale(): boolean {
    this.#live();
    return (this.#word & GROUPS_STALE) !== 0;
  }
  get inferred(): boolean {
    this.#live();
    return (this.#word & INFERRED) !== 0;
  }
  get contested(): boolean {
    this.#live();
    return (this.#word & CONTESTED) !== 0;
  }
  get groupDns(): string[] {
    return this.#table.setAt(this.#live()).dns;
  }

  /** Whether the replica still holds this entry as it was looked up (false: every getter throws). */
  get current(): boolean {
    return this.#table.holds(this.#slot, this.#word, this.#revision);
  }

  /** A plain Identity with every field, the same as the view's: to keep, spread or compare. */
  toObject(): Identity__Output {
    return this.#table.at(this.ip, this.#live());
  }

  toJSON(): Identity__Output {
    return this.toObject();
  }

  /** @internal `policy.decide(view)`: the table's per-slot decision cache, as `replica.decide` reads it. */
  decideWith(policy: CompiledPolicy): PolicyDecision {
    return policy.decideAt(this.#table, this.ip, this.#live());
  }

  [inspect.custom](): unknown {
    return this.current ? this.toObject() : { ip: this.ip, stale: true };
  }

  #live(): number {
    if (!this.#table.holds(this.#slot, this.#word, this.#revision)) throw new StaleIdentityError(this.ip);
    return this.#slot;
  }
}
