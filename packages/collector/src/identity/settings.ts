import type { Network } from '@fsso/common';

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
}

export const DEFAULT_IDENTITY: Omit<IdentitySettings, 'deadEntryTimeoutMs'> = {
  workstationUserTtlMs: 24 * 3600_000,
  sharedWindowMs: 10 * 60_000,
  sharedThreshold: 3,
  sharedNetworks: [],
};

/**
 * NetBIOS ("CORP") and DNS ("CORP.EXAMPLE.TEST") forms of one domain are the same, so the same
 * user is not seen as "another user" taking their own address.
 */
export function sameDomain(a: string, b: string): boolean {
  if (a === b || a === '' || b === '') return true;
  return (a.split('.')[0] ?? a) === (b.split('.')[0] ?? b);
}
