import { networkContains, type DomainNames, type Network } from '@fsso/common';

/**
 * What one reporter (an agent, by its certificate) has authority over. Whoever can end, move or
 * replace an entry decides who the firewall lets in, so authority follows the certificate: an
 * agent of domain A never ends, moves, replaces or shares an entry of domain B.
 */
export interface Authority {
  /** Canonical domains whose entries this reporter may end, move, replace or share; 'all' for a forest-wide agent. */
  readonly domains: ReadonlySet<string> | 'all';
  /**
   * Networks where its address evidence (DHCP leases and releases, which name no domain) may end
   * or move any entry: the DHCP servers it reads are authoritative there.
   */
  readonly networks: readonly Network[];
  /** Who this is, for log lines and `fssoctl explain`. */
  readonly reporter: string;
}

/** A forest-wide agent, `simulate`, and a plaintext lab collector (which has no certificates to go by). */
export const FULL_AUTHORITY: Authority = { domains: 'all', networks: [], reporter: '' };

/** The authority of an agent certificate covering `scope` (`['*']`: every domain), with its configured networks. */
export function authorityOf(
  scope: readonly string[] | undefined,
  networks: readonly Network[],
  names: DomainNames,
  reporter: string,
): Authority {
  if (scope === undefined || scope.includes('*')) return { domains: 'all', networks, reporter };
  return { domains: new Set(scope.map((d) => names.canonical(d))), networks, reporter };
}

/** Whether `a` may end, move, replace or share an entry of `domain` (canonical) at `ip`. */
export function mayAffect(a: Authority, domain: string, ip: string, addressEvidence: boolean): boolean {
  if (a.domains === 'all' || a.domains.has(domain)) return true;
  return addressEvidence && a.networks.some((n) => networkContains(n, ip));
}
