import { DomainNames, type Network } from '@fsso/common';

/** The knobs of the identity rules (README, "Identity rules"). */
export interface IdentitySettings {
  /** An entry with no evidence this long is removed. */
  deadEntryTimeoutMs: number;
  /** How long a workstation's last user may be brought back by its machine alone (sleep, roaming). */
  workstationUserTtlMs: number;
  /** Window in which distinct users at one address make it shared. */
  sharedWindowMs: number;
  /** Distinct users within the window that make an address shared. */
  sharedThreshold: number;
  /** Addresses that are shared up front (terminal servers, NAT). */
  sharedNetworks: Network[];
  /** Which NetBIOS and DNS names denote one domain (`domains` and `directories[]` of the config). */
  domains: DomainNames;
  /** Live entries one domain may hold (limits.maxEntriesPerDomain): a flood of one agent cannot grow the table without bound. */
  maxEntriesPerDomain: number;
}

export const DEFAULT_IDENTITY: Omit<IdentitySettings, 'deadEntryTimeoutMs'> = {
  workstationUserTtlMs: 24 * 3600_000,
  sharedWindowMs: 10 * 60_000,
  sharedThreshold: 3,
  sharedNetworks: [],
  domains: DomainNames.NONE,
  maxEntriesPerDomain: Number.POSITIVE_INFINITY,
};
