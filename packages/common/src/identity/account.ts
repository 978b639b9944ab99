/** An account name as every source writes it, folded to one form. */
export interface Account {
  /** Lower-case name without domain; machine accounts without the trailing `$`. */
  user: string;
  /** Upper-case domain (NetBIOS or DNS), or '' when the source gave none. */
  domain: string;
  /** The name ended in `$`: a computer account, not a person. */
  machine: boolean;
}

/**
 * Folds `DOMAIN\user`, `user@REALM`, `user` plus a separate domain field, and case differences
 * into one account. The domain inside the name wins over the separate field, because Windows puts
 * the realm the client asked for there (4769 `alice@CORP.EXAMPLE.TEST` with TargetDomainName
 * `CORP.EXAMPLE.TEST`) while the separate field may be the DC's own.
 * Returns `null` for placeholders (`-`, empty).
 */
export function normaliseAccount(rawUser: string | null | undefined, rawDomain?: string | null): Account | null {
  let user = (rawUser ?? '').trim();
  let domain = (rawDomain ?? '').trim();
  if (user === '' || user === '-') return null;
  const backslash = user.indexOf('\\');
  if (backslash >= 0) {
    domain = user.slice(0, backslash);
    user = user.slice(backslash + 1);
  } else {
    const at = user.lastIndexOf('@');
    if (at > 0) {
      domain = user.slice(at + 1);
      user = user.slice(0, at);
    }
  }
  if (domain === '-' || domain === '.') domain = '';
  const machine = user.endsWith('$');
  if (machine) user = user.slice(0, -1);
  if (user === '') return null;
  return { user: user.toLowerCase(), domain: domain.toUpperCase(), machine };
}

/** Upper-case NetBIOS workstation name, without `\\` prefix or `$`; '' for placeholders. */
export function normaliseWorkstation(raw: string | null | undefined): string {
  let s = (raw ?? '').trim().replace(/^\\\\/, '');
  if (s === '-' || s === '') return '';
  if (s.endsWith('$')) s = s.slice(0, -1);
  return s.toUpperCase();
}

/** Lower-case colon-separated MAC from `787E614D9DA3`, `d4-ca-6d-…` or `AA:BB:…`; '' if not a MAC. */
export function normaliseMac(raw: string | null | undefined): string {
  const hex = (raw ?? '').replace(/[^0-9a-fA-F]/g, '').toLowerCase();
  if (hex.length !== 12) return '';
  return hex.match(/../g)?.join(':') ?? '';
}
