import type { Identity__Output } from '@fsso/common';

/** An identity as the replica holds it: CORP\alice at 198.18.0.10 in CORP\VPN-Users, changed by `over`. */
export const id = (over: Partial<Identity__Output>): Identity__Output => ({
  ip: '198.18.0.10',
  user: 'alice',
  domain: 'CORP',
  groups: ['CORP\\VPN-Users'],
  workstation: 'WS-ALICE',
  firstSeenMs: 1,
  lastSeenMs: 2,
  source: 'windows-security',
  revision: 1,
  shared: false,
  groupsStale: false,
  inferred: false,
  contested: false,
  groupDns: [],
  ...over,
});
