import type { DomainNames, Logger } from '@fsso/common';
import type { IdentityTable } from '../store/identity-table';
import type { WorkstationStore } from '../store/workstations';
import { evidenceOf, type Claim, type Entry, type Evidence, type EvidenceItem, type TableChange } from './entry';
import { SharedDetector } from './shared';
import type { IdentitySettings } from './settings';
import { FULL_AUTHORITY, mayAffect, type Authority } from '../authority/authority';
import { ClaimList, holderClaim } from './claims';
import { blank, item, type Ctx } from './rule-context';
import { leftAddress } from './leases';
import { NO_GROUPS, type GroupLookup } from './group-lookup';

export type { GroupLookup };

export interface EngineCounters {
  /** Addresses that became contested: one domain's agent claimed another domain's live entry. */
  contested: number;
  /** Evidence that would have ended or moved an entry its reporter has no authority over, and did not. */
  outOfAuthority: number;
  /** New entries refused because their domain holds limits.maxEntriesPerDomain live entries. */
  entryQuota: number;
}

/**
 * The identity rules (docs/identity-rules.md), applied to one event at a time in event-time order.
 * Every write goes through the table, so each rule's effect is a revision firewalls receive.
 *
 * Every rule that ends, moves, replaces or shares an entry first asks whether the event's
 * reporter has authority over it (authority/authority.ts): an agent of one domain never rewrites
 * another domain's users. Where its evidence meets such an entry, the address is *contested*.
 */
export class IdentityEngine {
  private readonly shared: SharedDetector;
  readonly counters: EngineCounters = { contested: 0, outOfAuthority: 0, entryQuota: 0 };
  private quotaWarnedMs = 0;

  constructor(
    private readonly table: IdentityTable,
    private readonly workstations: WorkstationStore,
    private readonly s: IdentitySettings,
    private readonly groups: GroupLookup = NO_GROUPS,
    private readonly log?: Logger,
  ) {
    this.shared = new SharedDetector(s);
  }

  /** The configured NetBIOS/DNS equivalences the rules compare domains by. */
  get domains(): DomainNames {
    return this.s.domains;
  }

  /** Applies one event; its changes are appended to `out` (a batch passes its own list: no array per event). */
  apply(raw: Evidence, now: number, auth: Authority = FULL_AUTHORITY, out: TableChange[] = []): TableChange[] {
    // A clock-skewed agent must not pin an entry into the future.
    const t = Math.min(raw.eventTimeMs, now);
    // Evidence older than the timeout would be stale on arrival.
    if (t < now - this.s.deadEntryTimeoutMs) return out;
    const domain = this.s.domains.canonical(raw.domain);
    const ev = domain === raw.domain ? raw : { ...raw, domain };
    const reporter = auth.reporter || raw.reporter;
    const ctx: Ctx = { ev, t, now, out, auth, reporter };
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
    if (ws) this.workstations.noteUser(ev.domain, ws, ev.user, ev.domain, t);
    let ip = ev.ip;
    let rule = ev.kind === 'USER_LOGON' ? 'logon' : 'activity';
    if (!ip && ws) {
      // 4776 and friends name the machine, not the address: use where that machine is now.
      const w = this.workstations.get(ev.domain, ws);
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
    if (!ip && ev.workstation) ip = this.workstations.get(ev.domain, ev.workstation)?.ip ?? '';
    if (!ip) return;
    const cur = this.table.get(ip);
    if (!cur || cur.shared || t < cur.lastSeenMs) return;
    // A contested address ends when its holder logs off there (reported by the holder's own agent).
    const holder = cur.contested ? cur.claims[0] : cur;
    if (!holder || holder.user !== ev.user || holder.domain !== ev.domain || !mayAffect(c.auth, cur.domain, ip, false))
      return;
    this.remove(c, ip, 'logoff');
    // The machine has no user now: neither its next wake nor an on-demand lookup may bring them back.
    if (cur.workstation) this.workstations.noteUser(ev.domain, cur.workstation, '', '', t);
  }

  /** A machine authenticated (host-seen) or got a lease (host-address) at an address. */
  private hostEvidence(c: Ctx): void {
    const { ev, t } = c;
    const name = ev.workstation || ev.user.toUpperCase();
    if (!name || !ev.ip) return;
    const ip = ev.ip;
    const rule = ev.kind === 'HOST_SEEN' ? 'host-seen' : 'dhcp';
    // DHCP leases name no domain: inside its `networks` an agent's address evidence may affect any entry.
    const addressOnly = ev.kind === 'HOST_ADDRESS';
    this.machineAt(c, name, ip);
    const w = this.workstations.get(ev.domain, name);
    const remembered = w && w.user && t - w.userSeenMs <= this.s.workstationUserTtlMs ? w : undefined;
    // A machine's remembered user comes back only by a reporter with authority over that user.
    const lastUser = remembered && mayAffect(c.auth, remembered.domain, ip, addressOnly) ? remembered : undefined;
    let cur = this.table.get(ip);
    if (cur?.contested) {
      if (!mayAffect(c.auth, cur.domain, ip, addressOnly)) {
        if (lastUser) this.claim(c, cur, lastUser.user, lastUser.domain, item(c, 'contested', lastUser.user, name));
        return;
      }
      // The holder's own agent, or an authority for the address, speaks: the contest is over.
      if (t < cur.lastSeenMs) return;
      this.remove(c, ip, 'resolved');
      cur = undefined;
    }
    if (cur && !cur.shared) {
      const authority = mayAffect(c.auth, cur.domain, ip, addressOnly);
      // The same name in another domain is another machine, unless one reporter speaks for both.
      const sameMachine = cur.workstation === name && (authority || ev.domain === cur.domain);
      const otherMachine = cur.workstation !== '' && !sameMachine;
      // The newest user evidence at an address wins: a machine's remembered user replaces the
      // entry only if that memory is newer than the entry's own user evidence.
      const otherUser =
        cur.workstation === '' &&
        lastUser !== undefined &&
        lastUser.user !== cur.user &&
        lastUser.userSeenMs > cur.userSeenMs;
      if (otherMachine || otherUser || (!authority && cur.workstation === '')) {
        // IP reuse: another machine holds the address now. Older evidence changes nothing.
        if (t < cur.lastSeenMs) return;
        if (!authority) {
          if (lastUser) this.contest(c, cur, lastUser.user, lastUser.domain, item(c, 'contested', lastUser.user, name));
          else this.counters.outOfAuthority++;
          return;
        }
        this.remove(c, ip, 'reused');
        cur = undefined;
      }
    }
    if (cur) {
      // The user's own machine, alive at their address (after sleep, a DHCP renewal), or a machine at an address whose
      // user evidence is newer than the machine's memory: the newest user wins, and the machine now carries them.
      if (cur.workstation === '' && !cur.shared) {
        this.workstations.noteUser(ev.domain, name, cur.user, cur.domain, cur.userSeenMs);
        this.write(
          c,
          {
            ...cur,
            workstation: name,
            lastSeenMs: Math.max(cur.lastSeenMs, t),
            evidence: [...evidenceOf(cur), item(c, rule)],
          },
          rule,
        );
      } else if (t > cur.lastSeenMs) {
        this.table.refresh(cur, t, false, ev.source, item(c, rule));
      }
      return;
    }
    // Resume from sleep, or the new address after roaming: the machine's last user is back.
    if (lastUser)
      this.userAt(c, ip, lastUser.user, lastUser.domain, name, rule === 'dhcp' ? 'resumed-dhcp' : 'resumed-host');
  }

  /** DHCP release or expiry: whoever was at the address is gone (if the reporter may say so). */
  private released(c: Ctx): void {
    const { ev, t } = c;
    const name = ev.workstation || ev.user.toUpperCase();
    if (name) {
      this.workstations.clearAddress(ev.domain, name, ev.ip);
      this.workstations.dropLease(ev.domain, name, ev.ip);
    }
    const cur = this.table.get(ev.ip);
    if (cur && !mayAffect(c.auth, cur.domain, ev.ip, true)) {
      this.counters.outOfAuthority++;
      return;
    }
    this.shared.forget(ev.ip);
    if (cur && t >= cur.firstSeenMs) this.remove(c, ev.ip, 'released');
  }

  // --- Building blocks -----------------------------------------------------------------------

  /**
   * Roaming: the machine is at `ip` now. If it was at another address, the user it carried there
   * is released from it at once (evidence of them at the old address later brings them back).
   */
  private machineAt(c: Ctx, name: string, ip: string): void {
    const { ev, t } = c;
    const prev = this.workstations.get(ev.domain, name);
    const oldIp = leftAddress(this.workstations, c, name, ip, prev?.ip, this.s.deadEntryTimeoutMs);
    this.workstations.noteAddress(ev.domain, name, ip, ev.mac, t);
    if (!prev || !oldIp || oldIp === ip || t < prev.ipSeenMs) return;
    const old = this.table.get(oldIp);
    if (!old || old.shared || old.contested) return;
    if (old.workstation === name || (old.workstation === '' && old.user === prev.user && prev.user !== '')) {
      if (mayAffect(c.auth, old.domain, oldIp, ev.kind === 'HOST_ADDRESS')) this.remove(c, oldIp, 'roamed');
      else this.counters.outOfAuthority++;
    }
  }

  /** `user` is at `ip`: create, refresh, take over, contest, or mark the address shared. */
  private userAt(c: Ctx, ip: string, user: string, domain: string, workstation: string, rule: string): void {
    const { ev, t } = c;
    let cur = this.table.get(ip);
    const it = item(c, rule, user, workstation);
    let reason = rule;
    if (cur?.contested) {
      if (!mayAffect(c.auth, cur.domain, ip, false))
        return this.claim(c, cur, user, domain, { ...it, rule: 'contested' });
      // The holder's own agent speaks: its newest evidence decides the address again.
      if (t < cur.lastSeenMs) return;
      cur = undefined;
      reason = 'resolved';
    }
    const mine = cur !== undefined && !cur.shared && cur.user === user && cur.domain === domain;
    if (cur && !cur.shared && !mine && !mayAffect(c.auth, cur.domain, ip, false)) {
      if (t < cur.lastSeenMs) return;
      return this.contest(c, cur, user, domain, { ...it, rule: 'contested' });
    }
    const sharedNow = this.shared.note(ip, `${user}@${domain}`, t);
    if (cur?.shared) {
      // Once shared, an address stays shared while two of its users still have live evidence there.
      const members = new ClaimList(cur.claims).note({ user, domain, reporter: c.reporter, timeMs: t });
      if (sharedNow || members.liveAccounts(t - this.s.deadEntryTimeoutMs) >= 2 || members.size < 2) {
        this.table.setClaims(cur, members.items);
        if (t > cur.lastSeenMs) this.table.refresh(cur, t, true, ev.source, it);
        return;
      }
      cur = undefined;
      reason = 'unshared';
    } else if (sharedNow) {
      // Its users: the holder, whoever else the detector saw there in the window, and this one.
      const members = new ClaimList(cur ? [holderClaim(cur)] : []);
      for (const r of this.shared.recentUsers(ip)) {
        const at = r.who.lastIndexOf('@');
        members.note({ user: r.who.slice(0, at), domain: r.who.slice(at + 1), reporter: '', timeMs: r.t });
      }
      members.note({ user, domain, reporter: c.reporter, timeMs: t });
      const one = members.items.every((m) => m.domain === domain) ? domain : '';
      this.write(
        c,
        {
          ...blank(ip, t, ev.source),
          domain: one,
          shared: true,
          workstation,
          claims: members.items,
          evidence: [...(cur ? evidenceOf(cur) : []), it],
        },
        'shared',
      );
      return;
    }
    if (cur && mine) {
      if (workstation && workstation !== cur.workstation) {
        this.write(
          c,
          {
            ...cur,
            workstation,
            lastSeenMs: Math.max(cur.lastSeenMs, t),
            userSeenMs: Math.max(cur.userSeenMs, t),
            evidence: [...evidenceOf(cur), it],
          },
          rule,
        );
      } else if (t > cur.lastSeenMs || t > cur.userSeenMs) {
        this.table.refresh(cur, t, true, ev.source, it);
      }
      return;
    }
    // Another holder: only newer evidence takes the address over (late events never do).
    if (cur && t < cur.lastSeenMs) return;
    if (cur?.domain !== domain && this.table.countOf(domain) >= this.s.maxEntriesPerDomain)
      return this.overQuota(c, domain, ip);
    const g = this.groups.groupsFor(user, domain);
    this.write(
      c,
      {
        ip,
        user,
        domain,
        workstation,
        groups: g.groups,
        groupDns: g.groupDns,
        groupsStale: g.stale,
        firstSeenMs: t,
        lastSeenMs: t,
        userSeenMs: t,
        source: ev.source,
        shared: false,
        contested: false,
        claims: [],
        evidence: [it],
      },
      cur ? 'replaced' : reason,
    );
  }

  /** A domain at its quota gets no new entry; counted, and logged once a minute. */
  private overQuota(c: Ctx, domain: string, ip: string): void {
    this.counters.entryQuota++;
    if (c.now - this.quotaWarnedMs < 60_000) return;
    this.quotaWarnedMs = c.now;
    this.log?.warn(
      'new entry refused: its domain holds limits.maxEntriesPerDomain live entries; raise the limit if this domain is that large',
      {
        domain,
        ip,
        limit: this.s.maxEntriesPerDomain,
        reporter: c.reporter,
        refusedSoFar: this.counters.entryQuota,
      },
    );
  }

  /** Evidence of one domain's agent met a live entry of another domain: nobody is named until it resolves. */
  private contest(c: Ctx, cur: Entry, user: string, domain: string, it: EvidenceItem): void {
    const claims = new ClaimList([holderClaim(cur)]).note({ user, domain, reporter: c.reporter, timeMs: c.t }).items;
    this.counters.contested++;
    this.log?.warn(
      "address contested: an agent reported a user at an address held by a user of a domain it has no authority over; no user is named there until the holder's agent or an address authority speaks",
      {
        ip: cur.ip,
        holder: `${cur.domain}\\${cur.user}`,
        claimant: `${domain}\\${user}`,
        reporter: c.reporter,
      },
    );
    this.write(
      c,
      {
        ...cur,
        user: '',
        workstation: '',
        groups: [],
        groupsStale: false,
        shared: false,
        contested: true,
        claims,
        lastSeenMs: Math.max(cur.lastSeenMs, c.t),
        evidence: [...evidenceOf(cur), it],
      },
      'contested',
    );
  }

  /** Another claim on a contested address: noted (for `fssoctl explain`), nothing else changes. */
  private claim(c: Ctx, cur: Entry, user: string, domain: string, it: EvidenceItem): void {
    this.table.setClaims(
      cur,
      new ClaimList(cur.claims).note({ user, domain, reporter: c.reporter, timeMs: c.t }, true).items,
    );
    if (c.t > cur.lastSeenMs) this.table.refresh(cur, c.t, false, c.ev.source, it);
  }

  private write(c: Ctx, e: Omit<Entry, 'revision'>, reason: string): void {
    c.out.push(this.table.upsert(e, reason, c.now, c.t));
  }

  private remove(c: Ctx, ip: string, reason: string): void {
    const ch = this.table.delete(ip, reason, c.now, c.t);
    if (ch) c.out.push(ch);
  }
}

export type { Claim };
