import type { Identity__Output, SyncMessage__Output } from '@fsso/common';
import type { ReplicaTable } from './replica-table';
import { ROW_FLAGS } from './replica-flags';

type SnapshotColumns = NonNullable<SyncMessage__Output['snapshotColumns']>;

/** An Identity's flags as the table stores them (ROW_FLAGS). */
function flagsOf(id: Identity__Output): number {
  return (
    (id.shared ? ROW_FLAGS.SHARED : 0) |
    (id.groupsStale ? ROW_FLAGS.GROUPS_STALE : 0) |
    (id.inferred ? ROW_FLAGS.INFERRED : 0) |
    (id.contested ? ROW_FLAGS.CONTESTED : 0)
  );
}

/** Stores a decoded Identity (a change, or an older collector's SnapshotChunk entry) in `into`. */
export function putIdentity(into: ReplicaTable, id: Identity__Output): void {
  const d = into.dict;
  into.put({
    ip: id.ip,
    user: id.user,
    workstation: id.workstation,
    domain: d.string(id.domain),
    source: d.string(id.source),
    set: d.set(id.groups, id.groupDns),
    firstSeenMs: id.firstSeenMs,
    lastSeenMs: id.lastSeenMs,
    revision: id.revision,
    flags: flagsOf(id),
  });
}

/**
 * Stores the entries of a SnapshotColumns chunk in `into`, straight from its columns. False
 * (and nothing stored) when the columns do not line up: a table built from them could name
 * the wrong user, so the caller drops the stream instead.
 */
export function putColumns(into: ReplicaTable, c: SnapshotColumns): boolean {
  const n = c.ip.length;
  for (const col of [c.user, c.workstation, c.domain, c.source, c.firstSeenMs, c.lastSeenMs, c.revision, c.flags])
    if (col.length !== n) return false;
  if (c.groupSet.length !== n || c.setDnCount.length !== c.setGroupCount.length) return false;
  const d = into.dict;
  const strings = c.strings.map((x) => d.string(x));
  const sets: number[] = [];
  let at = 0;
  for (let k = 0; k < c.setGroupCount.length; k++) {
    const ng = c.setGroupCount[k] as number;
    const nd = c.setDnCount[k] as number;
    const names = c.setItems.slice(at, at + ng).map((i) => c.strings[i]);
    const dns = c.setItems.slice(at + ng, at + ng + nd).map((i) => c.strings[i]);
    at += ng + nd;
    if (names.length !== ng || dns.length !== nd || names.includes(undefined) || dns.includes(undefined)) return false;
    sets.push(d.set(names as string[], dns as string[]));
  }
  for (let i = 0; i < n; i++) {
    const bad =
      strings[c.domain[i] as number] === undefined ||
      strings[c.source[i] as number] === undefined ||
      sets[c.groupSet[i] as number] === undefined;
    if (bad) return false;
  }
  for (let i = 0; i < n; i++) {
    into.put({
      ip: c.ip[i] as string,
      user: c.user[i] as string,
      workstation: c.workstation[i] as string,
      domain: strings[c.domain[i] as number] as number,
      source: strings[c.source[i] as number] as number,
      set: sets[c.groupSet[i] as number] as number,
      firstSeenMs: c.firstSeenMs[i] as number,
      lastSeenMs: c.lastSeenMs[i] as number,
      revision: c.revision[i] as number,
      flags: c.flags[i] as number,
    });
  }
  return true;
}
