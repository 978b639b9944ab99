import type { Identity__Output } from '@fsso/common';
import type { ReplicaChange } from './replica';

/**
 * What the enforcement adapters (nft-sync, the squid helper) need from a table of identities:
 * the `IdentityReplica` has it, and so will a client that fails over between collectors. Kept
 * this small so an adapter never depends on how the table is kept current.
 */
export interface IdentitySource {
  /** 'snapshot': the table was replaced whole; 'reconnected': live again after a loss; 'change': one address. */
  on(event: 'snapshot' | 'reconnected', listener: () => void): unknown;
  on(event: 'change', listener: (c: ReplicaChange) => void): unknown;
  lookup(ip: string): Identity__Output | undefined;
  entries(): Identity__Output[];
}
