import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import { machine, MachineMemory, type Workstation } from './machine-memory';

export type { Workstation } from './machine-memory';

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
 *
 * The machines live in memory (`MachineMemory`), written per transaction: the owner of the
 * transaction (`TableWriter`) calls `flush` inside it, and `rollback` if it failed. Leases stay SQL
 * statements: only DHCP evidence with a MAC reads or writes them.
 */
export class WorkstationStore {
  private readonly st: Record<'byIp' | 'byName' | 'lease' | 'leaseOf' | 'leaseAt' | 'dropLease', Statement>;
  private readonly memory: MachineMemory;
  constructor(db: Db) {
    this.memory = new MachineMemory(db);
    this.st = {
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
    return this.memory.get(realm, name);
  }

  /** The machine of this name, when only one domain has one (reverse DNS names no known domain). */
  only(name: string): Workstation | undefined {
    this.sync();
    const rows = this.st.byName.all(name) as Row[];
    return rows.length === 1 && rows[0] ? toWs(rows[0]) : undefined;
  }

  /** The machine's last user, if this evidence is not older than what is known. */
  noteUser(realm: string, name: string, user: string, domain: string, t: number): void {
    const w = this.memory.get(realm, name);
    // As the SQL upsert did: `WHERE excluded.user_seen_ms >= machines.user_seen_ms`.
    if (!w) this.memory.put(machine(realm, name, user, domain, t, '', '', 0));
    else if (t >= w.userSeenMs) this.memory.put(machine(w.realm, w.name, user, domain, t, w.ip, w.mac, w.ipSeenMs));
  }

  noteAddress(realm: string, name: string, ip: string, mac: string, t: number): void {
    const w = this.memory.get(realm, name);
    // An empty MAC keeps the known one; older address evidence changes nothing.
    if (!w) this.memory.put(machine(realm, name, '', '', 0, ip, mac, t));
    else if (t >= w.ipSeenMs)
      this.memory.put(machine(w.realm, w.name, w.user, w.domain, w.userSeenMs, ip, mac === '' ? w.mac : mac, t));
  }

  /** The address was released: the machine is no longer known to be there. */
  clearAddress(realm: string, name: string, ip: string): void {
    const w = this.memory.get(realm, name);
    if (w && w.ip === ip)
      this.memory.put(machine(w.realm, w.name, w.user, w.domain, w.userSeenMs, '', w.mac, w.ipSeenMs));
  }

  /** Writes the machines changed in this transaction; inside it, before its commit. */
  flush(): void {
    this.memory.flush();
  }

  /** The transaction rolled back: memory forgets its changes, as SQLite did. */
  rollback(): void {
    this.memory.rollback();
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
    this.sync();
    const r = this.st.byIp.get(ip) as Row | undefined;
    return r ? toWs(r) : undefined;
  }

  /**
   * `atAddress` and `only` (on-demand lookups, rare) query SQLite: machines changed in the
   * running transaction are written first, so the query sees them (they commit or roll back with it).
   */
  private sync(): void {
    if (this.memory.dirty) this.memory.flush();
  }
}
