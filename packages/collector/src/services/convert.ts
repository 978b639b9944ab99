import type { Change, Identity } from '@fsso/common';
import type { Entry, TableChange } from '../identity/entry';

export function toIdentity(e: Entry): Identity {
  return {
    ip: e.ip, user: e.user, domain: e.domain, groups: e.groups, workstation: e.workstation,
    firstSeenMs: e.firstSeenMs, lastSeenMs: e.lastSeenMs, source: e.source, revision: e.revision,
  };
}

export function toChange(c: TableChange): Change {
  return {
    revision: c.revision, op: c.op, ip: c.ip, reason: c.reason,
    identity: c.op === 'UPSERT' && c.entry ? toIdentity(c.entry) : null,
  };
}
