import type { Identity__Output } from '@fsso/common';

/**
 * An identity as a replica stores it: the Identity fields, own and enumerable (JSON, spreads and
 * deep-equal comparisons see exactly those), plus what decide() caches on it in private fields,
 * which none of those see. Before, the cache slots were symbol properties made non-enumerable
 * with Object.defineProperty on each new object: V8 then gave every object its own hidden class,
 * which took 41 % of a snapshot load's CPU and about 700 bytes per entry more.
 */
export class StoredIdentity implements Identity__Output {
  ip: string;
  user: string;
  domain: string;
  groups: string[];
  workstation: string;
  firstSeenMs: number;
  lastSeenMs: number;
  source: string;
  revision: number;
  shared: boolean;
  groupsStale: boolean;
  inferred: boolean;
  contested: boolean;
  groupDns: string[];
  #keys: unknown = undefined;
  #by: unknown = undefined;
  #decision: unknown = undefined;

  /** `flags`: bit 0 shared, 1 groupsStale, 2 inferred, 3 contested (as SnapshotColumns carries them). */
  constructor(
    ip: string,
    user: string,
    domain: string,
    groups: string[],
    workstation: string,
    firstSeenMs: number,
    lastSeenMs: number,
    source: string,
    revision: number,
    flags: number,
    groupDns: string[],
  ) {
    this.ip = ip;
    this.user = user;
    this.domain = domain;
    this.groups = groups;
    this.workstation = workstation;
    this.firstSeenMs = firstSeenMs;
    this.lastSeenMs = lastSeenMs;
    this.source = source;
    // The decoder computes a uint64 as a double: as such each entry would hold a 16-byte box
    // for it. Below 2^30 it fits V8's small integers, stored in the object itself.
    this.revision = revision < SMALL ? revision | 0 : revision;
    this.shared = (flags & 1) !== 0;
    this.groupsStale = (flags & 2) !== 0;
    this.inferred = (flags & 4) !== 0;
    this.contested = (flags & 8) !== 0;
    this.groupDns = groupDns;
    // A plain object to its users (deepStrictEqual compares prototypes): every instance still
    // shares one hidden class, and the private fields stay reachable by the statics below.
    Object.setPrototypeOf(this, Object.prototype);
  }

  /** The decision `by` cached on `o`, if `by` was the last to decide it. */
  static cachedDecision(o: object, by: object): unknown {
    if (#by in o) return o.#by === by ? o.#decision : undefined;
    const f = foreign.get(o);
    return f !== undefined && f.by === by ? f.decision : undefined;
  }

  static cacheDecision(o: object, by: object, decision: unknown): void {
    if (#by in o) {
      o.#by = by;
      o.#decision = decision;
    } else {
      const f = foreignSlot(o);
      f.by = by;
      f.decision = decision;
    }
  }

  static cachedKeys(o: object): unknown {
    return #keys in o ? o.#keys : foreign.get(o)?.keys;
  }

  static cacheKeys(o: object, keys: unknown): void {
    if (#keys in o) o.#keys = keys;
    else foreignSlot(o).keys = keys;
  }
}

const SMALL = 2 ** 30;

/**
 * The same cache for identities a replica did not make (a Lookup answer, an object a caller
 * built): beside them, so their own fields stay untouched.
 */
const foreign = new WeakMap<object, { keys: unknown; by: unknown; decision: unknown }>();

function foreignSlot(o: object): { keys: unknown; by: unknown; decision: unknown } {
  let f = foreign.get(o);
  if (f === undefined) foreign.set(o, (f = { keys: undefined, by: undefined, decision: undefined }));
  return f;
}
