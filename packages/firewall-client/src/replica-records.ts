import type { Identity__Output } from '@fsso/common';
import { StoredIdentity } from './stored-identity';

/** Past this many distinct values an interning map starts afresh (values already shared stay shared). */
const MAX_INTERNED = 200_000;
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
  compact(id: Identity__Output): StoredIdentity {
    return new StoredIdentity(
      id,
      this.string(id.domain),
      this.list(id.groups),
      this.string(id.source),
      this.list(id.groupDns),
    );
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
