import type { Entry } from '../identity/entry';

/**
 * Addresses per user: one address as itself (most users have one), several as a set. Built at
 * the first `ofUser` (group updates, `fssoctl user`), not at load: a restart with 1 M mappings
 * spent a sixth of its time on it, and a collector without a directory may never ask.
 */
export class UserIndex {
  private byUser: Map<string, string | Set<string>> | undefined;

  constructor(private readonly entries: () => Iterable<Entry>) {}

  /** Forgets the index (the table was reloaded); the next `addressesOf` builds it again. */
  reset(): void {
    this.byUser = undefined;
  }

  link(e: Entry): void {
    if (this.byUser) linkUser(this.byUser, e);
  }

  unlink(user: string, ip: string): void {
    const m = this.byUser;
    const have = m?.get(user);
    if (!m || have === undefined) return;
    if (have === ip) m.delete(user);
    else if (typeof have === 'object') {
      have.delete(ip);
      if (have.size === 1) m.set(user, [...have][0] ?? '');
      else if (have.size === 0) m.delete(user);
    }
  }

  addressesOf(user: string): string[] {
    const have = this.users().get(user);
    return have === undefined ? [] : typeof have === 'string' ? [have] : [...have];
  }

  private users(): Map<string, string | Set<string>> {
    if (this.byUser) return this.byUser;
    const m = new Map<string, string | Set<string>>();
    for (const e of this.entries()) linkUser(m, e);
    return (this.byUser = m);
  }
}

function linkUser(m: Map<string, string | Set<string>>, e: Entry): void {
  const have = m.get(e.user);
  if (have === undefined) m.set(e.user, e.ip);
  else if (typeof have === 'string') {
    if (have !== e.ip) m.set(e.user, new Set([have, e.ip]));
  } else have.add(e.ip);
}
