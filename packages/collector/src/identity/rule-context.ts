import type { Entry, Evidence, EvidenceItem, TableChange } from './entry';
import type { Authority } from '../authority/authority';

/** One event on its way through the rules: what it is, when, who sent it, and the changes it made. */
export interface Ctx {
  ev: Evidence;
  t: number;
  now: number;
  out: TableChange[];
  auth: Authority;
  /** Who reported the evidence: the certificate's identity, or the event's own reporter field. */
  reporter: string;
}

/** Evidence is credited to the certificate that sent it, not to the name an event gives itself. */
export function item(c: Ctx, rule: string, user = c.ev.user, workstation = c.ev.workstation): EvidenceItem {
  const { ev, t } = c;
  return {
    kind: ev.kind,
    source: ev.source,
    sourceEventId: ev.sourceEventId,
    reporter: c.reporter,
    timeMs: t,
    user,
    workstation,
    rule,
  };
}

/** An entry with nobody at it yet (a shared address being written). */
export function blank(ip: string, t: number, source: string): Omit<Entry, 'revision'> {
  return {
    ip,
    user: '',
    domain: '',
    workstation: '',
    groups: [],
    groupsStale: false,
    firstSeenMs: t,
    lastSeenMs: t,
    userSeenMs: t,
    source,
    shared: false,
    contested: false,
    claims: [],
    evidence: [],
  };
}
