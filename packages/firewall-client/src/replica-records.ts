import type { Identity__Output, SyncMessage__Output } from '@fsso/common';
import { StoredIdentity } from './stored-identity';

/** Past this many distinct values an interning map starts afresh (values already shared stay shared). */
const MAX_INTERNED = 200_000;
type SnapshotColumns = NonNullable<SyncMessage__Output['snapshotColumns']>;

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
    const flags = (id.shared ? 1 : 0) | (id.groupsStale ? 2 : 0) | (id.inferred ? 4 : 0) | (id.contested ? 8 : 0);
    return new StoredIdentity(
      id.ip,
      id.user,
      this.string(id.domain),
      this.list(id.groups),
      id.workstation,
      id.firstSeenMs,
      id.lastSeenMs,
      this.string(id.source),
      id.revision,
      flags,
      this.list(id.groupDns),
    );
  }

  /**
   * Stores the entries of a SnapshotColumns chunk in `into`, straight from its columns. False
   * (and nothing stored) when the columns do not line up: a table built from them could name
   * the wrong user, so the caller drops the stream instead.
   */
  addColumns(c: SnapshotColumns, into: Map<string, StoredIdentity>): boolean {
    const n = c.ip.length;
    for (const col of [c.user, c.workstation, c.domain, c.source, c.firstSeenMs, c.lastSeenMs, c.revision, c.flags])
      if (col.length !== n) return false;
    if (c.groupSet.length !== n || c.setDnCount.length !== c.setGroupCount.length) return false;
    const strings = c.strings.map((x) => this.string(x));
    const sets: { groups: string[]; dns: string[] }[] = [];
    let at = 0;
    for (let k = 0; k < c.setGroupCount.length; k++) {
      const ng = c.setGroupCount[k] as number;
      const nd = c.setDnCount[k] as number;
      const names = c.setItems.slice(at, at + ng).map((i) => strings[i]);
      const dns = c.setItems.slice(at + ng, at + ng + nd).map((i) => strings[i]);
      at += ng + nd;
      if (names.length !== ng || dns.length !== nd || names.includes(undefined) || dns.includes(undefined))
        return false;
      sets.push({ groups: this.list(names as string[]), dns: this.list(dns as string[]) });
    }
    for (let i = 0; i < n; i++) {
      const domain = strings[c.domain[i] as number];
      const source = strings[c.source[i] as number];
      const set = sets[c.groupSet[i] as number];
      if (domain === undefined || source === undefined || set === undefined) return false;
    }
    for (let i = 0; i < n; i++) {
      const set = sets[c.groupSet[i] as number] as { groups: string[]; dns: string[] };
      const ip = c.ip[i] as string;
      into.set(
        ip,
        new StoredIdentity(
          ip,
          c.user[i] as string,
          strings[c.domain[i] as number] as string,
          set.groups,
          c.workstation[i] as string,
          c.firstSeenMs[i] as number,
          c.lastSeenMs[i] as number,
          strings[c.source[i] as number] as string,
          c.revision[i] as number,
          c.flags[i] as number,
          set.dns,
        ),
      );
    }
    return true;
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
