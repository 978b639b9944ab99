import { isIPv4, isIPv6 } from 'node:net';
import {
  DomainNames,
  directoryGroupName,
  groupMatches,
  parseAccountName,
  parseGroupName,
  type GroupName,
  type Identity__Output,
} from '@fsso/common';
import type { NftSetSpec } from './config';

/** A set spec compiled once: rule names parsed and folded, so membership is a few comparisons. */
interface CompiledSet {
  spec: NftSetSpec;
  users: { user: string; domain: string | undefined }[];
  groups: GroupName[];
}

/**
 * Which managed sets an identity belongs to, by the project's account and domain rules
 * (`DOMAIN\\name` only in that domain, a DN only that DN, a bare name in any domain). Shared,
 * contested and user-less addresses belong only to sets that ask for them by name: "never the
 * wrong user".
 */
export class SetMembership {
  private readonly sets: CompiledSet[];

  constructor(
    specs: readonly NftSetSpec[],
    private readonly names: DomainNames = DomainNames.NONE,
  ) {
    this.sets = specs.map((spec) => ({
      spec,
      users: spec.users.map((u) => {
        const a = parseAccountName(u);
        return { user: a.user.toLowerCase(), domain: a.domain === undefined ? undefined : names.canonical(a.domain) };
      }),
      groups: spec.groups.map((g) => parseGroupName(g, names)),
    }));
  }

  /** The names of the nft sets (`NAME` for IPv4, `NAME_v6` for IPv6) that `identity`'s address belongs in. */
  setsOf(identity: Identity__Output | undefined): string[] {
    if (!identity) return [];
    const v6 = isIPv6(identity.ip);
    if (!v6 && !isIPv4(identity.ip)) return [];
    const suffix = v6 ? '_v6' : '';
    return this.sets.filter((s) => this.matches(s, identity)).map((s) => `${s.spec.name}${suffix}`);
  }

  private matches(s: CompiledSet, id: Identity__Output): boolean {
    if (id.shared) return s.spec.shared;
    if (id.contested) return s.spec.contested;
    if (id.user === '') return s.spec.unknown;
    if (id.inferred && !s.spec.inferred) return false;
    const domain = this.names.canonical(id.domain);
    const user = id.user.toLowerCase();
    if (s.users.some((u) => u.user === user && (u.domain === undefined || u.domain === domain))) return true;
    if (s.groups.length === 0) return false;
    // With each group's DN known (group_dns), a DN rule matches only that DN.
    const dns = id.groupDns.length === id.groups.length ? id.groupDns : [];
    return id.groups.some((g, i) => {
      const parsed = directoryGroupName(g, dns[i], this.names);
      // A group named without a domain is the identity's own domain's group, never any domain's.
      const have =
        parsed.domain === undefined && parsed.dn === undefined ? { ...parsed, domain: domain || undefined } : parsed;
      return s.groups.some((rule) => groupMatches(rule, have));
    });
  }
}
