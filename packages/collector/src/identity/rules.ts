import type { Entry, Evidence } from './entry';

/** What one piece of evidence does to the entry at its address. */
export type Decision =
  | { action: 'ignore'; why: string }
  /** Same user still there: move last-seen forward; firewalls need not hear of it. */
  | { action: 'refresh'; lastSeenMs: number; workstation: string; source: string }
  | { action: 'upsert'; entry: Omit<Entry, 'revision'>; reason: 'logon' | 'activity' | 'replaced' }
  | { action: 'delete'; reason: 'logoff' | 'released' };

export interface RuleContext {
  nowMs: number;
  deadEntryTimeoutMs: number;
}

/**
 * Domains name the same thing in NetBIOS ("CORP") and DNS ("CORP.EXAMPLE.TEST") form, and a DC
 * logs both for one user. Treat them as one when the first DNS label equals the NetBIOS name,
 * so the same user is not seen as "another user" taking their own address.
 */
export function sameDomain(a: string, b: string): boolean {
  if (a === b || a === '' || b === '') return true;
  return (a.split('.')[0] ?? a) === (b.split('.')[0] ?? b);
}

/**
 * The minimal identity rule: a logon or activity of a user at an address makes that user the
 * address's user; a logoff at that address by that user, or a DHCP release of the address,
 * removes it. Evidence older than what the entry already holds never overrides it, and evidence
 * older than the dead-entry timeout never creates an entry (it would be stale on arrival).
 */
export function decide(ev: Evidence, current: Entry | undefined, ctx: RuleContext): Decision {
  if (ev.ip === '') return { action: 'ignore', why: 'no address' };
  // A clock-skewed agent must not pin an entry into the future.
  const t = Math.min(ev.eventTimeMs, ctx.nowMs);
  switch (ev.kind) {
    case 'USER_LOGON':
    case 'USER_ACTIVITY': {
      if (ev.user === '') return { action: 'ignore', why: 'no user' };
      if (t < ctx.nowMs - ctx.deadEntryTimeoutMs) return { action: 'ignore', why: 'older than the dead-entry timeout' };
      if (current && current.user === ev.user && sameDomain(current.domain, ev.domain)) {
        if (t <= current.lastSeenMs && (ev.workstation === '' || ev.workstation === current.workstation)) {
          return { action: 'ignore', why: 'nothing new' };
        }
        if (ev.workstation !== '' && ev.workstation !== current.workstation) {
          return {
            action: 'upsert',
            reason: ev.kind === 'USER_LOGON' ? 'logon' : 'activity',
            entry: { ...current, workstation: ev.workstation, lastSeenMs: Math.max(t, current.lastSeenMs), source: ev.source },
          };
        }
        return { action: 'refresh', lastSeenMs: t, workstation: current.workstation, source: ev.source };
      }
      // Someone else holds the address: only newer evidence takes it over.
      if (current && t < current.lastSeenMs) return { action: 'ignore', why: 'older than the current entry' };
      return {
        action: 'upsert',
        reason: current ? 'replaced' : ev.kind === 'USER_LOGON' ? 'logon' : 'activity',
        entry: { ip: ev.ip, user: ev.user, domain: ev.domain, workstation: ev.workstation, groups: [], firstSeenMs: t, lastSeenMs: t, source: ev.source },
      };
    }
    case 'USER_LOGOFF':
      if (current && current.user === ev.user && sameDomain(current.domain, ev.domain) && t >= current.lastSeenMs) {
        return { action: 'delete', reason: 'logoff' };
      }
      return { action: 'ignore', why: 'not the user at this address, or older' };
    case 'HOST_RELEASED':
      // The address went back to the DHCP pool: whoever was there is gone, and the next holder
      // must not inherit their rights.
      if (current && t >= current.firstSeenMs) return { action: 'delete', reason: 'released' };
      return { action: 'ignore', why: 'nobody at this address, or older' };
    default:
      return { action: 'ignore', why: `${ev.kind} does not change the table yet` };
  }
}
