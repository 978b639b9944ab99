/**
 * The one home of the account and domain rules: which names denote one domain, how `DOMAIN\user`
 * and UPNs are read and written, and how group names compare. Every place that compares or prints
 * accounts, domains or groups calls these; none writes its own.
 *
 * Domains are names compared whole. A NetBIOS name ("CORP") equals a DNS name ("CORP.EXAMPLE.TEST")
 * only where the configuration says so: comparing first DNS labels would let a certificate for
 * CORP.EXAMPLE.TEST report for CORP.EVIL.COM.
 */
export class DomainNames {
  /** Upper-case name → the canonical (NetBIOS, when known) name of its domain. */
  private readonly canon = new Map<string, string>();

  /** `pairs`: each domain's NetBIOS name and the DNS name(s) that denote the same domain. */
  constructor(pairs: Iterable<{ netbios: string; dns?: string | readonly string[] | undefined }> = []) {
    for (const p of pairs) {
      const nb = p.netbios.trim().toUpperCase();
      if (nb === '') continue;
      this.canon.set(nb, nb);
      for (const d of typeof p.dns === 'string' ? [p.dns] : (p.dns ?? [])) {
        const dns = d.trim().toUpperCase();
        if (dns !== '' && dns !== nb) this.canon.set(dns, nb);
      }
    }
  }

  /** No equivalences known: every domain name stands for itself. */
  static readonly NONE = new DomainNames();

  /** The name this domain is stored and compared under: upper case, its NetBIOS name where configured. */
  canonical(domain: string): string {
    const d = domain.trim().toUpperCase();
    return this.canon.get(d) ?? d;
  }

  /** Whether two names denote one domain. '' is a name of its own ("no domain"), not a wildcard. */
  same(a: string, b: string): boolean {
    return this.canonical(a) === this.canonical(b);
  }

  /** Whether a certificate's domain list covers `domain` ('*' covers every domain). */
  covers(scope: readonly string[], domain: string): boolean {
    const d = this.canonical(domain);
    return scope.some((s) => s === '*' || this.canonical(s) === d);
  }

  /** The configured pairs, for `fssoctl` and logs. */
  entries(): [string, string][] {
    return [...this.canon].filter(([name, nb]) => name !== nb);
  }
}

/** An account name split into its parts; `domain` is undefined when the text names none. */
export interface AccountName {
  user: string;
  domain: string | undefined;
}

/**
 * Reads `DOMAIN\user`, `user@domain` (a UPN) or a bare `user`. Case is kept; callers fold it.
 * A name carries its own domain when it has one: that domain, not a separate field, is the one
 * the account belongs to.
 */
export function parseAccountName(raw: string): AccountName {
  const s = raw.trim();
  const backslash = s.indexOf('\\');
  if (backslash >= 0) return { domain: s.slice(0, backslash), user: s.slice(backslash + 1) };
  const at = s.lastIndexOf('@');
  if (at > 0) return { user: s.slice(0, at), domain: s.slice(at + 1) };
  return { user: s, domain: undefined };
}

/** `DOMAIN\user`, or the bare user when there is no domain: how accounts are printed everywhere. */
export function formatAccount(user: string, domain: string): string {
  return domain ? `${domain}\\${user}` : user;
}

/** A group name as a rule or a directory writes it, reduced to what comparisons need. */
export interface GroupName {
  /** Lower-case short name (sAMAccountName, or the CN of a DN). */
  name: string;
  /** Canonical domain, when the name says which (`CORP\x`, `x@corp…`, or a DN's DC= parts). */
  domain: string | undefined;
  /** The whole DN, lower case with spaces around commas removed, when the name is a DN. */
  dn: string | undefined;
}

const DN_CN = /^CN=([^,]+),/i;

/**
 * "CORP\\VPN-Users", "VPN-Users@corp.example.test", "VPN-Users" and "CN=VPN-Users,OU=…,DC=corp,DC=…"
 * to their parts. A DN's domain is the DNS name of its DC= components, mapped through `names`.
 */
export function parseGroupName(raw: string, names: DomainNames = DomainNames.NONE): GroupName {
  const s = raw.trim();
  const cn = DN_CN.exec(s);
  if (cn) {
    const parts = s.split(',').map((p) => p.trim());
    const dc = parts
      .filter((p) => /^DC=/i.test(p))
      .map((p) => p.slice(3))
      .join('.');
    return {
      name: (cn[1] ?? '').trim().toLowerCase(),
      domain: dc ? names.canonical(dc) : undefined,
      dn: parts.join(',').toLowerCase(),
    };
  }
  const a = parseAccountName(s);
  return {
    name: a.user.toLowerCase(),
    domain: a.domain === undefined ? undefined : names.canonical(a.domain),
    dn: undefined,
  };
}

/**
 * A group as the directory reports it: its `DOMAIN\\name` (the domain the directory is configured
 * for, so a rule `CORP\\x` matches it) and, when known, its DN. With the DN known, a DN rule
 * compares whole DNs: two groups of one CN in different OUs are two groups.
 */
export function directoryGroupName(
  name: string,
  dn: string | undefined,
  names: DomainNames = DomainNames.NONE,
): GroupName {
  const g = parseGroupName(name, names);
  return dn ? { ...g, dn: parseGroupName(dn, names).dn } : g;
}

/**
 * Whether a group an identity has matches a group a rule names. A rule with a domain matches only
 * that domain's group; a DN rule only that DN (or, where the group's DN is not known, the group of
 * that name in the DN's domain); a bare rule matches the name in any domain.
 */
export function groupMatches(rule: GroupName, have: GroupName): boolean {
  // Both DNs known: the DN decides alone (a group's sAMAccountName may differ from its CN).
  if (rule.dn !== undefined && have.dn !== undefined) return rule.dn === have.dn;
  if (rule.name !== have.name) return false;
  if (rule.domain === undefined) return true;
  return have.domain !== undefined && rule.domain === have.domain;
}

/** The lower-case short name a group compares by (`normaliseGroupName("CORP\\Sales")` is "sales"). */
export function normaliseGroupName(g: string): string {
  return parseGroupName(g).name;
}
