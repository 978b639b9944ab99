import type { Change, Identity } from '@fsso/common';
import type { Entry, TableChange } from '../identity/entry';
import type { HistoryRow } from '../store/history';
import type { HistoryItem } from '@fsso/common';

export function toIdentity(e: Entry): Identity {
  return {
    ip: e.ip,
    user: e.user,
    domain: e.domain,
    groups: e.groups,
    workstation: e.workstation,
    firstSeenMs: e.firstSeenMs,
    lastSeenMs: e.lastSeenMs,
    source: e.source,
    revision: e.revision,
    shared: e.shared,
    groupsStale: e.groupsStale,
    inferred: false,
    contested: e.contested,
    // DNs only where they line up with the names; otherwise none ("unknown"), never misaligned.
    groupDns: e.groupDns && e.groupDns.length === e.groups.length && e.groupDns.some((d) => d !== '') ? e.groupDns : [],
  };
}

export function toChange(c: TableChange): Change {
  return {
    revision: c.revision,
    op: c.op,
    ip: c.ip,
    reason: c.reason,
    identity: c.op === 'UPSERT' && c.entry ? toIdentity(c.entry) : null,
  };
}

export function toHistoryItem(h: HistoryRow): HistoryItem {
  return {
    ip: h.ip,
    user: h.shared ? '(shared)' : h.user,
    domain: h.domain,
    workstation: h.workstation,
    fromMs: h.fromMs,
    toMs: h.toMs ?? 0,
    endedBy: h.endedBy,
  };
}
