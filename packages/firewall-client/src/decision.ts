import {
  DomainNames,
  directoryGroupName,
  formatAccount,
  groupMatches,
  parseAccountName,
  parseGroupName,
  type GroupName,
  type Identity__Output,
} from '@fsso/common';

/** A firewall rule's identity part: who may pass. */
export interface GroupPolicy {
  /** Allow members of any of these groups ("CORP\\VPN-Users" only in CORP, a DN only that group, "VPN-Users" in any domain). */
  allowGroups?: readonly string[];
  /** Allow these users ("CORP\\alice" or "alice@corp.example" only in that domain; "alice" in any domain). */
  allowUsers?: readonly string[];
  /**
   * Identities resolved on demand (reverse DNS, a machine's last user) are inferred, not seen:
   * they pass only when the policy says so. @default false
   */
  allowInferred?: boolean;
  /** Which NetBIOS and DNS names denote one domain (as in the collector's `domains`). @default none */
  domains?: DomainNames;
}

export interface Decision {
  allow: boolean;
  /** Who the address belongs to, when known. */
  user?: string | undefined;
  /** Why, in words a firewall log can show. */
  reason: string;
}

/**
 * Decides for an identity (or none) against a policy. Unknown, shared and contested addresses are
 * denied: the product's rule is "never the wrong user", so no single user means no identity-based
 * access.
 */
export function decide(identity: Identity__Output | undefined, policy: GroupPolicy): Decision {
  if (!identity) return { allow: false, reason: 'no user is known at this address' };
  if (identity.shared)
    return { allow: false, reason: `${identity.ip} is shared by several users; no single user is named there` };
  if (identity.contested)
    return {
      allow: false,
      reason: `${identity.ip} is contested by agents of different domains; no user is named there until it resolves`,
    };
  if (identity.user === '') return { allow: false, reason: 'no user is known at this address' };
  const names = policy.domains ?? DomainNames.NONE;
  const domain = names.canonical(identity.domain);
  const who = formatAccount(identity.user, identity.domain);
  if (identity.inferred && policy.allowInferred !== true) {
    return {
      allow: false,
      user: who,
      reason: `${who} is only inferred at this address (resolved on demand); the policy does not allow inferred identities`,
    };
  }
  const user = (policy.allowUsers ?? []).find((u) => {
    const a = parseAccountName(u);
    return (
      a.user.toLowerCase() === identity.user.toLowerCase() &&
      (a.domain === undefined || names.canonical(a.domain) === domain)
    );
  });
  if (user) return { allow: true, user: who, reason: `user ${who} is allowed` };
  // The collector sends each group's DN beside its name (group_dns); with it, a DN rule matches
  // only that DN, not every group of the same CN. Without (an older collector), by name and domain.
  const dns = identity.groupDns.length === identity.groups.length ? identity.groupDns : [];
  const have = identity.groups.map((g, i): [string, GroupName] => [
    g,
    withDomain(directoryGroupName(g, dns[i], names), domain),
  ]);
  for (const g of policy.allowGroups ?? []) {
    const rule = parseGroupName(g, names);
    const hit = have.find(([, h]) => groupMatches(rule, h));
    if (hit) return { allow: true, user: who, reason: `${who} is a member of ${hit[0]}` };
  }
  return { allow: false, user: who, reason: `${who} is in none of the allowed groups` };
}

/** A group named without a domain belongs to the identity's own domain (never to any domain). */
function withDomain(g: GroupName, identityDomain: string): GroupName {
  return g.domain === undefined && g.dn === undefined ? { ...g, domain: identityDomain || undefined } : g;
}
