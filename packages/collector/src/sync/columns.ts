import type { SyncMessage } from '@fsso/common';
import type { Entry } from '../identity/entry';

/** Entries per SnapshotColumns message: about 60 bytes each, so a chunk stays well inside the sender's 1 MiB window. */
export const COLUMN_CHUNK = 2000;

const SHARED = 1;
const GROUPS_STALE = 2;
const CONTESTED = 8;

/**
 * One SnapshotColumns message for `entries` (a replica that set accept_columns). A SnapshotChunk
 * costs a message object per entry on both sides, and each repeats its domain, source and group
 * lists: here every column is one array, and the chunk names each distinct string and group set
 * once (a million entries share a handful of domains and a few thousand group sets).
 */
export function columnsMessage(entries: readonly Entry[]): SyncMessage {
  const strings: string[] = [];
  const stringIds = new Map<string, number>();
  const str = (s: string): number => {
    let i = stringIds.get(s);
    if (i === undefined) {
      stringIds.set(s, (i = strings.length));
      strings.push(s);
    }
    return i;
  };
  const setIds = new Map<string[], number>();
  const setKeys = new Map<string, number>();
  const setGroupCount: number[] = [];
  const setDnCount: number[] = [];
  const setItems: number[] = [];
  const n = entries.length;
  const ip = new Array<string>(n);
  const user = new Array<string>(n);
  const workstation = new Array<string>(n);
  const domain = new Array<number>(n);
  const source = new Array<number>(n);
  const firstSeenMs = new Array<number>(n);
  const lastSeenMs = new Array<number>(n);
  const revision = new Array<number>(n);
  const flags = new Array<number>(n);
  const groupSet = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const e = entries[i] as Entry;
    ip[i] = e.ip;
    user[i] = e.user;
    workstation[i] = e.workstation;
    domain[i] = str(e.domain);
    source[i] = str(e.source);
    firstSeenMs[i] = e.firstSeenMs;
    lastSeenMs[i] = e.lastSeenMs;
    revision[i] = e.revision;
    // inferred (bit 2) is never set in a snapshot: only Lookup's on-demand answers are inferred.
    flags[i] = (e.shared ? SHARED : 0) | (e.groupsStale ? GROUPS_STALE : 0) | (e.contested ? CONTESTED : 0);
    // Entries of one user share one groups array in the collector: most sets are found by identity.
    let set = setIds.get(e.groups);
    if (set === undefined) {
      const dns = sentDns(e);
      // NUL never occurs in a group name or DN, so the key is unambiguous.
      const key = `${e.groups.join('\u0000')}\u0001${dns.join('\u0000')}`;
      set = setKeys.get(key);
      if (set === undefined) {
        setKeys.set(key, (set = setGroupCount.length));
        setGroupCount.push(e.groups.length);
        setDnCount.push(dns.length);
        for (const g of e.groups) setItems.push(str(g));
        for (const d of dns) setItems.push(str(d));
      }
      // Only when the DNs follow from the array alone may the array stand for its set.
      if (e.groupDns === undefined) setIds.set(e.groups, set);
    }
    groupSet[i] = set;
  }
  return {
    snapshotColumns: {
      strings,
      ip,
      user,
      workstation,
      domain,
      source,
      firstSeenMs,
      lastSeenMs,
      revision,
      flags,
      groupSet,
      setGroupCount,
      setDnCount,
      setItems,
    },
  };
}

/** The DNs a firewall is sent: as toIdentity sends them (only aligned, only when one is known). */
function sentDns(e: Entry): string[] {
  const d = e.groupDns;
  return d && d.length === e.groups.length && d.some((x) => x !== '') ? d : [];
}
