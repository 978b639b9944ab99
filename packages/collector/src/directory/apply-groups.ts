import type { DomainNames } from '@fsso/common';
import type { IdentityTable } from '../store/identity-table';
import type { TableChange } from '../identity/entry';

/** Writes an account's new groups (or their staleness) into every entry of that user, as revisions (inside the caller's commit). */
export function applyGroups(
  table: IdentityTable,
  user: string,
  domain: string,
  groups: string[],
  stale: boolean,
  now: number,
  names: DomainNames,
  groupDns: string[] = [],
): TableChange[] {
  const out: TableChange[] = [];
  for (const e of table.ofUser(user)) {
    if (e.shared || e.contested || !names.same(e.domain, domain)) continue;
    if (
      e.groupsStale === stale &&
      e.groups.join('\n') === groups.join('\n') &&
      (e.groupDns ?? []).join('\n') === groupDns.join('\n')
    )
      continue;
    out.push(table.upsert({ ...e, groups, groupDns, groupsStale: stale }, stale ? 'groups-stale' : 'groups', now));
  }
  return out;
}
