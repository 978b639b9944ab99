import type { Identity__Output } from '@fsso/common';
import { DECISION_SLOTS, hideDecisionSlots } from './policy';

const [K, D, B] = DECISION_SLOTS;

/** Past this many distinct values an interning map starts afresh (values already shared stay shared). */
const MAX_INTERNED = 200_000;
const SMALL = 2 ** 30;
const EMPTY: string[] = Object.freeze([]) as unknown as string[];

/**
 * Compact copies of the identities a replica stores. A decoded protobuf message carries its own
 * copy of every string and list, and on a firewall a million entries repeat a handful of
 * domains, sources and group lists (thousands of users share a few group sets): one shared,
 * frozen copy of each is kept instead, and every stored identity has the same shape (one hidden
 * class), which is what keeps `Map.get` plus a decision a few property reads.
 */
export class RecordStore {
  private strings = new Map<string, string>();
  private lists = new Map<string, string[]>();

  /** A stored identity with the same fields as `id` (own, enumerable: JSON and spreads see them all). */
  compact(id: Identity__Output): Identity__Output {
    return hideDecisionSlots({
      ip: id.ip,
      user: id.user,
      domain: this.string(id.domain),
      groups: this.list(id.groups),
      workstation: id.workstation,
      firstSeenMs: id.firstSeenMs,
      lastSeenMs: id.lastSeenMs,
      source: this.string(id.source),
      // The decoder computes a uint64 as a double: as such each entry would hold a 16-byte box
      // for it. Below 2^30 it fits V8's small integers, stored in the object itself.
      revision: id.revision < SMALL ? id.revision | 0 : id.revision,
      shared: id.shared,
      groupsStale: id.groupsStale,
      inferred: id.inferred,
      contested: id.contested,
      groupDns: this.list(id.groupDns),
      [K]: undefined,
      [D]: undefined,
      [B]: undefined,
    });
  }

  private string(s: string): string {
    let v = this.strings.get(s);
    if (v === undefined) {
      if (this.strings.size >= MAX_INTERNED) this.strings = new Map();
      this.strings.set(s, s);
      v = s;
    }
    return v;
  }

  /** Frozen, since one list is shared by every identity with those groups. */
  private list(a: readonly string[]): string[] {
    if (a.length === 0) return EMPTY;
    // NUL never occurs in a group name or DN from the collector, so the key is unambiguous.
    const key = a.length === 1 ? (a[0] as string) : a.join('\u0000');
    let v = this.lists.get(key);
    if (v === undefined) {
      if (this.lists.size >= MAX_INTERNED) this.lists = new Map();
      v = Object.freeze(a.map((g) => this.string(g))) as string[];
      this.lists.set(key, v);
    }
    return v;
  }
}
