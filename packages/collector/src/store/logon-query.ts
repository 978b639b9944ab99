import { networkContains, type Network } from '@fsso/common';
import type { Entry } from '../identity/entry';

/** What `fssoctl logons` filters by. */
export interface LogonFilter {
  user?: string | undefined;
  domain?: string | undefined;
  network?: Network | undefined;
}

/**
 * A page of `candidates` matching the filter, ordered by address text after `afterIp`, and how
 * many match in all. `user` is the caller's to apply (the table narrows by its per-user index).
 */
export function pageOf(
  candidates: Iterable<Entry>,
  filter: LogonFilter,
  afterIp: string,
  limit: number,
): { entries: Entry[]; more: boolean; total: number } {
  const domain = filter.domain?.toUpperCase();
  const matching = [...candidates].filter(
    (e) => (!domain || e.domain === domain) && (!filter.network || networkContains(filter.network, e.ip)),
  );
  const after = matching.filter((e) => e.ip > afterIp).sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
  return { entries: after.slice(0, limit), more: after.length > limit, total: matching.length };
}
