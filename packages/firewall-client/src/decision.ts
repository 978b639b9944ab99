import type { Identity__Output } from '@fsso/common';

/** A firewall rule's identity part: who may pass. */
export interface GroupPolicy {
  /** Allow members of any of these groups ("CORP\\VPN-Users", "VPN-Users" or a DN). */
  allowGroups?: readonly string[];
  /** Allow these users ("alice", "CORP\\alice", "alice@corp.example"). */
  allowUsers?: readonly string[];
}

export interface Decision {
  allow: boolean;
  /** Who the address belongs to, when known. */
  user?: string | undefined;
  /** Why, in words a firewall log can show. */
  reason: string;
}

/** "CORP\\Sales", "Sales" and "CN=Sales,OU=..,DC=.." all reduce to "sales" for comparison. */
function shortName(name: string): string {
  const n = name.trim();
  const cn = /^CN=([^,]+),/i.exec(n);
  if (cn) return (cn[1] ?? '').toLowerCase();
  return (n.includes('\\') ? n.slice(n.indexOf('\\') + 1) : n.split('@')[0] ?? n).toLowerCase();
}

function domainOf(name: string): string | undefined {
  const n = name.trim();
  if (n.includes('\\')) return n.slice(0, n.indexOf('\\')).toUpperCase();
  if (n.includes('@')) return (n.split('@')[1] ?? '').toUpperCase();
  return undefined;
}

function sameName(rule: string, value: string, valueDomain: string): boolean {
  if (shortName(rule) !== shortName(value)) return false;
  const d = domainOf(rule);
  return d === undefined || valueDomain === '' || d === valueDomain || d.split('.')[0] === valueDomain.split('.')[0];
}

/**
 * Decides for an identity (or none) against a policy. Unknown addresses are denied: the product's
 * rule is "never the wrong user", so no identity means no identity-based access.
 */
export function decide(identity: Identity__Output | undefined, policy: GroupPolicy): Decision {
  if (!identity) return { allow: false, reason: 'no user is known at this address' };
  const who = `${identity.domain ? `${identity.domain}\\` : ''}${identity.user}`;
  const user = (policy.allowUsers ?? []).find((u) => sameName(u, identity.user, identity.domain));
  if (user) return { allow: true, user: who, reason: `user ${who} is allowed` };
  for (const g of policy.allowGroups ?? []) {
    const hit = identity.groups.find((have) => sameName(g, have, identity.domain));
    if (hit) return { allow: true, user: who, reason: `${who} is a member of ${hit}` };
  }
  return { allow: false, user: who, reason: `${who} is in none of the allowed groups` };
}
