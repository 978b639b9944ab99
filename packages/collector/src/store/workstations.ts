import type { Statement } from 'better-sqlite3';
import type { Db } from './database';

/** What the collector knows of one machine: its last user and its current address. */
export interface Workstation {
  /** The (canonical) domain the machine was seen in: machine names are unique per domain only. */
  realm: string;
  name: string;
  user: string;
  domain: string;
  userSeenMs: number;
  ip: string;
  mac: string;
  ipSeenMs: number;
}

interface Row {
  realm: string;
  name: string;
  user: string;
  domain: string;
  user_seen_ms: number;
  ip: string;
  mac: string;
  ip_seen_ms: number;
}
const toWs = (r: Row): Workstation => ({
  realm: r.realm,
  name: r.name,
  user: r.user,
  domain: r.domain,
  userSeenMs: r.user_seen_ms,
  ip: r.ip,
  mac: r.mac,
  ipSeenMs: r.ip_seen_ms,
});

/**
 * Per-workstation memory, fed by every event that names a machine (4624 WorkstationName, 4776,
 * Samba `workstation`, machine-account logons, DHCP host names). It is what lets a user follow
 * their laptop to a new address when no new logon happens.
 *
 * Machines are keyed by domain and name: WKS1 of SALES is not WKS1 of CORP, so an agent of CORP
 * naming "WKS1" can never move a SALES user.
 */
export class WorkstationStore {
  private readonly st: Record<
    'get' | 'user' | 'address' | 'clear' | 'byIp' | 'byName' | 'lease' | 'leaseOf' | 'leaseAt' | 'dropLease',
    Statement
  >;
  constructor(db: Db) {
    this.st = {
      get: db.prepare('SELECT * FROM machines WHERE realm = ? AND name = ?'),
      user: db.prepare(`INSERT INTO machines (realm, name, user, domain, user_seen_ms) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (realm, name) DO UPDATE SET user = excluded.user, domain = excluded.domain, user_seen_ms = excluded.user_seen_ms
        WHERE excluded.user_seen_ms >= machines.user_seen_ms`),
      address: db.prepare(`INSERT INTO machines (realm, name, ip, mac, ip_seen_ms) VALUES (@realm, @name, @ip, @mac, @t)
        ON CONFLICT (realm, name) DO UPDATE SET ip = excluded.ip, mac = CASE WHEN excluded.mac = '' THEN machines.mac ELSE excluded.mac END,
          ip_seen_ms = excluded.ip_seen_ms WHERE excluded.ip_seen_ms >= machines.ip_seen_ms`),
      clear: db.prepare("UPDATE machines SET ip = '' WHERE realm = ? AND name = ? AND ip = ?"),
      byIp: db.prepare('SELECT * FROM machines WHERE ip = ? ORDER BY ip_seen_ms DESC LIMIT 1'),
      byName: db.prepare('SELECT * FROM machines WHERE name = ? LIMIT 2'),
      lease: db.prepare(`INSERT INTO machine_leases (realm, name, mac, ip, seen_ms) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (realm, name, mac) DO UPDATE SET ip = excluded.ip, seen_ms = excluded.seen_ms WHERE excluded.seen_ms >= machine_leases.seen_ms`),
      leaseOf: db.prepare('SELECT ip, seen_ms FROM machine_leases WHERE realm = ? AND name = ? AND mac = ?'),
      leaseAt: db.prepare(
        'SELECT mac FROM machine_leases WHERE realm = ? AND name = ? AND ip = ? AND seen_ms >= ? LIMIT 1',
      ),
      dropLease: db.prepare('DELETE FROM machine_leases WHERE realm = ? AND name = ? AND ip = ?'),
    };
  }

  get(realm: string, name: string): Workstation | undefined {
    const r = this.st.get.get(realm, name) as Row | undefined;
    return r ? toWs(r) : undefined;
  }

  /** The machine of this name, when only one domain has one (reverse DNS names no known domain). */
  only(name: string): Workstation | undefined {
    const rows = this.st.byName.all(name) as Row[];
    return rows.length === 1 && rows[0] ? toWs(rows[0]) : undefined;
  }

  /** The machine's last user, if this evidence is not older than what is known. */
  noteUser(realm: string, name: string, user: string, domain: string, t: number): void {
    this.st.user.run(realm, name, user, domain, t);
  }

  noteAddress(realm: string, name: string, ip: string, mac: string, t: number): void {
    this.st.address.run({ realm, name, ip, mac, t });
  }

  /** The address was released: the machine is no longer known to be there. */
  clearAddress(realm: string, name: string, ip: string): void {
    this.st.clear.run(realm, name, ip);
  }

  /** A DHCP lease of one of the machine's interfaces (by MAC). */
  noteLease(realm: string, name: string, mac: string, ip: string, t: number): void {
    this.st.lease.run(realm, name, mac, ip, t);
  }

  /** Where the machine's interface `mac` was last leased an address. */
  leaseOf(realm: string, name: string, mac: string): { ip: string; seenMs: number } | undefined {
    const r = this.st.leaseOf.get(realm, name, mac) as { ip: string; seen_ms: number } | undefined;
    return r ? { ip: r.ip, seenMs: r.seen_ms } : undefined;
  }

  /** The MAC of a lease of this machine at `ip` seen since `sinceMs`, if any. */
  liveLeaseAt(realm: string, name: string, ip: string, sinceMs: number): string | undefined {
    return (this.st.leaseAt.get(realm, name, ip, sinceMs) as { mac: string } | undefined)?.mac;
  }

  dropLease(realm: string, name: string, ip: string): void {
    this.st.dropLease.run(realm, name, ip);
  }

  /** The machine most recently seen at `ip`. */
  atAddress(ip: string): Workstation | undefined {
    const r = this.st.byIp.get(ip) as Row | undefined;
    return r ? toWs(r) : undefined;
  }
}
