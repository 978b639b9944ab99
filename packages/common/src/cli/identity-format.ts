import { printable } from './printable';
import type { Identity__Output } from '../wire/types';
import { formatAccount } from '../identity/domains';

/** "CORP\\alice", or "alice" when no domain is known; for human output, so control characters are escaped. */
export function identityName(
  i: Pick<Identity__Output, 'domain' | 'user'> & { shared?: boolean; contested?: boolean },
): string {
  if (i.shared) return '(shared: several users)';
  if (i.contested) return '(contested: agents of different domains claim it)';
  return printable(formatAccount(i.user, i.domain));
}

/** The --json form of an identity: ISO times instead of epoch milliseconds. */
export function identityJson(i: Identity__Output): Record<string, unknown> {
  const iso = (ms: number): string | null => (ms ? new Date(ms).toISOString() : null);
  return {
    ip: i.ip,
    user: i.user,
    domain: i.domain,
    groups: i.groups,
    workstation: i.workstation,
    firstSeen: iso(i.firstSeenMs),
    lastSeen: iso(i.lastSeenMs),
    source: i.source,
    revision: i.revision,
    shared: i.shared,
    groupsStale: i.groupsStale,
    inferred: i.inferred,
    contested: i.contested,
    // Each group's DN, parallel to `groups` (empty when the collector sent none).
    groupDns: i.groupDns,
  };
}
