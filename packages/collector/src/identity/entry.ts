import type { NormalisedEvent } from '@fsso/common';

/** Who is at one address, as the collector holds it. */
export interface Entry {
  ip: string;
  user: string;
  domain: string;
  workstation: string;
  groups: string[];
  /** Each group's DN, parallel to `groups` ('' where unknown); ignored unless the lengths match. */
  groupDns?: string[] | undefined;
  firstSeenMs: number;
  lastSeenMs: number;
  source: string;
  /** Revision of the change that last wrote the entry. */
  revision: number;
  /** Several users within the shared window (or a configured shared address): no single user. */
  shared: boolean;
  /** Groups are the last known ones: the directory could not be asked. */
  groupsStale: boolean;
  /** Newest evidence of the user themself at this address (not of their machine). */
  userSeenMs: number;
  /**
   * The newest few pieces of evidence, newest last. Read it through `evidenceOf`: the table holds a
   * chain of one item as the item itself, and an entry read from SQLite at start holds the stored
   * JSON until something reads it.
   */
  evidence: EvidenceItem[] | EvidenceItem | string;
  /**
   * Agents of different domains claim the address: evidence from one domain's agent met a live
   * entry of another domain it has no authority over. No user is named (like shared) until the
   * holder's own agent or an authority for the address speaks.
   */
  contested: boolean;
  /** Shared: its users. Contested: the holder first, then the claimants. Newest evidence per account. */
  claims: Claim[];
  /**
   * Since when (event time) the current holder has held the address, and the workstation then: the
   * history row written when the holding ends (store/history.ts). Set by the table, not the rules;
   * undefined: since `firstSeenMs`, at `workstation`.
   */
  heldFromMs?: number;
  heldWorkstation?: string;
}

/** One account's claim to an address: who, by whose report, and when last. */
export interface Claim {
  user: string;
  domain: string;
  /** The agent (certificate identity) whose evidence it is. */
  reporter: string;
  timeMs: number;
}

/**
 * An entry's evidence chain as a list. A restart leaves each chain as its stored JSON, parsed (and
 * kept parsed) the first time it is read: parsing a million of them was a third of the restart's
 * time (bench/README.md, "restart"), and most are never read before the entry is rewritten. A chain
 * of one item (an address seen once, the commonest entry of a fill) is held as the item: its list
 * was 56 bytes per entry. Such a list is made afresh at each read: a caller that changes the list
 * stores it back.
 */
export function evidenceOf(e: Pick<Entry, 'evidence' | 'user' | 'workstation'>): EvidenceItem[] {
  const ev = e.evidence;
  if (Array.isArray(ev)) return ev;
  if (typeof ev !== 'string') return [ev];
  const items = JSON.parse(ev) as EvidenceItem[];
  for (const item of items) {
    // Most evidence names the entry's own user and machine: one copy of each, not one per item.
    if (item.user === e.user) item.user = e.user;
    if (item.workstation === e.workstation) item.workstation = e.workstation;
  }
  e.evidence = items.length === 1 && items[0] ? items[0] : items;
  return items;
}

/** Evidence items kept per entry. */
export const EVIDENCE_DEPTH = 6;

/**
 * The chain an entry keeps: the table's own list of the newest items, a chain of one as its item
 * (`evidenceOf` reads each back as a list), or the stored JSON still unread (an entry rewritten with no new evidence, as
 * for its groups).
 */
export function heldChain(ev: Entry['evidence']): Entry['evidence'] {
  if (!Array.isArray(ev)) return ev;
  if (ev.length === 1 && ev[0]) return ev[0];
  return ev.slice(-EVIDENCE_DEPTH);
}

/** One piece of evidence behind an entry, for `fssoctl explain`. */
export interface EvidenceItem {
  kind: string;
  source: string;
  sourceEventId: string;
  reporter: string;
  timeMs: number;
  user: string;
  workstation: string;
  /** What the rule made of it. */
  rule: string;
}

export type ChangeOp = 'UPSERT' | 'DELETE';

/** One change of the table. Revisions increase by one with every change. */
export interface TableChange {
  revision: number;
  op: ChangeOp;
  ip: string;
  /** The new entry for UPSERT. */
  entry?: Entry | undefined;
  /** logon, activity, replaced, logoff, released, expired, admin-delete */
  reason: string;
  atMs: number;
}

/** What the rules look at: a validated event (the shared `NormalisedEvent`). */
export type Evidence = Omit<NormalisedEvent, 'logonType'> & { logonType?: number };
