import type { IdentityTable } from '../store/identity-table';
import type { WorkstationStore } from '../store/workstations';
import type { Entry, Evidence, EvidenceItem, TableChange } from './entry';
import { SharedDetector } from './shared';
import { sameDomain, type IdentitySettings } from './settings';

/** Groups for an account as known now (cache); `stale` when the directory could not be asked. */
export interface GroupLookup {
  groupsFor(user: string, domain: string): { groups: string[]; stale: boolean };
}

export const NO_GROUPS: GroupLookup = { groupsFor: () => ({ groups: [], stale: false }) };

/**
 * The identity rules (docs/identity-rules.md), applied to one event at a time in event-time order.
 * Every write goes through the table, so each rule's effect is a revision firewalls receive.
 */
export class IdentityEngine {
  private readonly shared: SharedDetector;

  constructor(
    private readonly table: IdentityTable,
    private readonly workstations: WorkstationStore,
    private readonly s: IdentitySettings,
    private readonly groups: GroupLookup = NO_GROUPS,
  ) {
    this.shared = new SharedDetector(s);
  }

  apply(ev: Evidence, now: number): TableChange[] {
    // A clock-skewed agent must not pin an entry into the future.
    const t = Math.min(ev.eventTimeMs, now);
    // Evidence older than the timeout would be stale on arrival.
    if (t < now - this.s.deadEntryTimeoutMs) return [];
    const out: TableChange[] = [];
    const ctx = { ev, t, now, out };
    switch (ev.kind) {
      case 'USER_LOGON':
      case 'USER_ACTIVITY':
        this.userEvidence(ctx);
        break;
      case 'USER_LOGOFF':
        this.logoff(ctx);
        break;
      case 'HOST_SEEN':
      case 'HOST_ADDRESS':
        this.hostEvidence(ctx);
        break;
      case 'HOST_RELEASED':
        this.released(ctx);
        break;
    }
    return out;
  }

  // --- Rules ---------------------------------------------------------------------------------

  /** Workstation tracking + user at an address (logon, ticket, share access, unlock, RDP reconnect). */
  private userEvidence(c: Ctx): void {
    const { ev, t } = c;
    if (ev.user === '') return;
    const ws = ev.workstation;
    if (ws) this.workstations.noteUser(ws, ev.user, ev.domain, t);
    let ip = ev.ip;
    let rule = ev.kind === 'USER_LOGON' ? 'logon' : 'activity';
    if (!ip && ws) {
      // 4776 and friends name the machine, not the address: use where that machine is now.
      const w = this.workstations.get(ws);
      if (!w?.ip || t - w.ipSeenMs > this.s.deadEntryTimeoutMs) return;
      ip = w.ip;
      rule = 'via-workstation';
    } else if (ip && ws) {
      this.machineAt(c, ws, ip);
    }
    if (ip) this.userAt(c, ip, ev.user, ev.domain, ws, rule);
  }

  /** Lock is not logoff: only a logoff of the user at that address removes them. */
  private logoff(c: Ctx): void {
    const { ev, t } = c;
    let ip = ev.ip;
    if (!ip && ev.workstation) ip = this.workstations.get(ev.workstation)?.ip ?? '';
    if (!ip) return;
    const cur = this.table.get(ip);
    if (cur && !cur.shared && cur.user === ev.user && sameDomain(cur.domain, ev.domain) && t >= cur.lastSeenMs) {
      this.remove(c, ip, 'logoff');
      // The machine has no user now: neither its next wake nor an on-demand lookup may bring them back.
      if (cur.workstation) this.workstations.noteUser(cur.workstation, '', '', t);
    }
  }

  /** A machine authenticated (host-seen) or got a lease (host-address) at an address. */
  private hostEvidence(c: Ctx): void {
    const { ev, t } = c;
    const name = ev.workstation || ev.user.toUpperCase();
    if (!name || !ev.ip) return;
    const ip = ev.ip;
    const rule = ev.kind === 'HOST_SEEN' ? 'host-seen' : 'dhcp';
    this.machineAt(c, name, ip);
    const w = this.workstations.get(name);
    const lastUser = w && w.user && t - w.userSeenMs <= this.s.workstationUserTtlMs ? w : undefined;
    let cur = this.table.get(ip);
    if (cur && !cur.shared) {
      const otherMachine = cur.workstation !== '' && cur.workstation !== name;
      const otherUser = cur.workstation === '' && lastUser !== undefined && lastUser.user !== cur.user;
      if (otherMachine || otherUser) {
        // IP reuse: another machine holds the address now. Older evidence changes nothing.
        if (t < cur.lastSeenMs) return;
        this.remove(c, ip, 'reused');
        cur = undefined;
      }
    }
    if (cur) {
      // The user's own machine, alive at their address (after sleep, a DHCP renewal).
      if (cur.workstation === '' && !cur.shared) {
        this.workstations.noteUser(name, cur.user, cur.domain, cur.userSeenMs);
        this.write(c, { ...cur, workstation: name, lastSeenMs: Math.max(cur.lastSeenMs, t), evidence: [...cur.evidence, item(ev, t, rule)] }, rule);
      } else if (t > cur.lastSeenMs) {
        this.table.refresh(cur, t, false, ev.source, item(ev, t, rule));
      }
      return;
    }
    // Resume from sleep, or the new address after roaming: the machine's last user is back.
    if (lastUser) this.userAt(c, ip, lastUser.user, lastUser.domain, name, rule === 'dhcp' ? 'resumed-dhcp' : 'resumed-host');
  }

  /** DHCP release or expiry: whoever was at the address is gone. */
  private released(c: Ctx): void {
    const { ev, t } = c;
    const name = ev.workstation || ev.user.toUpperCase();
    if (name) this.workstations.clearAddress(name, ev.ip);
    this.shared.forget(ev.ip);
    const cur = this.table.get(ev.ip);
    if (cur && t >= cur.firstSeenMs) this.remove(c, ev.ip, 'released');
  }

  // --- Building blocks -----------------------------------------------------------------------

  /**
   * Roaming: the machine is at `ip` now. If it was at another address, the user it carried there
   * is released from it at once (evidence of them at the old address later brings them back).
   */
  private machineAt(c: Ctx, name: string, ip: string): void {
    const prev = this.workstations.get(name);
    this.workstations.noteAddress(name, ip, c.ev.mac, c.t);
    if (!prev?.ip || prev.ip === ip || c.t < prev.ipSeenMs) return;
    const old = this.table.get(prev.ip);
    if (old && !old.shared && (old.workstation === name || (old.workstation === '' && old.user === prev.user && prev.user !== ''))) {
      this.remove(c, prev.ip, 'roamed');
    }
  }

  /** `user` is at `ip`: create, refresh, take over, or mark the address shared. */
  private userAt(c: Ctx, ip: string, user: string, domain: string, workstation: string, rule: string): void {
    const { ev, t } = c;
    const cur = this.table.get(ip);
    const it = item(ev, t, rule, user, workstation);
    if (this.shared.note(ip, `${user}@${domain.split('.')[0] ?? domain}`, t)) {
      if (cur?.shared) {
        if (t > cur.lastSeenMs) this.table.refresh(cur, t, true, ev.source, it);
        return;
      }
      this.write(c, { ...blank(ip, t, ev.source), shared: true, workstation, evidence: [...(cur?.evidence ?? []), it] }, 'shared');
      return;
    }
    if (cur && !cur.shared && cur.user === user && sameDomain(cur.domain, domain)) {
      if (workstation && workstation !== cur.workstation) {
        this.write(c, { ...cur, workstation, lastSeenMs: Math.max(cur.lastSeenMs, t), userSeenMs: Math.max(cur.userSeenMs, t), evidence: [...cur.evidence, it] }, rule);
      } else if (t > cur.lastSeenMs || t > cur.userSeenMs) {
        this.table.refresh(cur, t, true, ev.source, it);
      }
      return;
    }
    // Another holder: only newer evidence takes the address over (late events never do).
    if (cur && t < cur.lastSeenMs) return;
    const g = this.groups.groupsFor(user, domain);
    this.write(c, {
      ip, user, domain, workstation, groups: g.groups, groupsStale: g.stale, firstSeenMs: t, lastSeenMs: t, userSeenMs: t,
      source: ev.source, shared: false, evidence: [it],
    }, cur ? 'replaced' : rule);
  }

  private write(c: Ctx, e: Omit<Entry, 'revision'>, reason: string): void {
    c.out.push(this.table.upsert(e, reason, c.now, c.t));
  }

  private remove(c: Ctx, ip: string, reason: string): void {
    const ch = this.table.delete(ip, reason, c.now, c.t);
    if (ch) c.out.push(ch);
  }
}

interface Ctx {
  ev: Evidence;
  t: number;
  now: number;
  out: TableChange[];
}

function item(ev: Evidence, t: number, rule: string, user = ev.user, workstation = ev.workstation): EvidenceItem {
  return { kind: ev.kind, source: ev.source, sourceEventId: ev.sourceEventId, reporter: ev.reporter, timeMs: t, user, workstation, rule };
}

function blank(ip: string, t: number, source: string): Omit<Entry, 'revision'> {
  return { ip, user: '', domain: '', workstation: '', groups: [], groupsStale: false, firstSeenMs: t, lastSeenMs: t, userSeenMs: t, source, shared: false, evidence: [] };
}
