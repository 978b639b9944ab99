import type { Statement } from 'better-sqlite3';
import type { Db } from './database';

/** What the collector knows of one machine: its last user and its current address. */
export interface Workstation {
  name: string;
  user: string;
  domain: string;
  userSeenMs: number;
  ip: string;
  mac: string;
  ipSeenMs: number;
}

interface Row { name: string; user: string; domain: string; user_seen_ms: number; ip: string; mac: string; ip_seen_ms: number }
const toWs = (r: Row): Workstation => ({ name: r.name, user: r.user, domain: r.domain, userSeenMs: r.user_seen_ms, ip: r.ip, mac: r.mac, ipSeenMs: r.ip_seen_ms });

/**
 * Per-workstation memory, fed by every event that names a machine (4624 WorkstationName, 4776,
 * Samba `workstation`, machine-account logons, DHCP host names). It is what lets a user follow
 * their laptop to a new address when no new logon happens.
 */
export class WorkstationStore {
  private readonly st: Record<'get' | 'user' | 'address' | 'clear' | 'byIp', Statement>;
  constructor(db: Db) {
    this.st = {
      get: db.prepare('SELECT * FROM workstations WHERE name = ?'),
      user: db.prepare(`INSERT INTO workstations (name, user, domain, user_seen_ms) VALUES (?, ?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET user = excluded.user, domain = excluded.domain, user_seen_ms = excluded.user_seen_ms
        WHERE excluded.user_seen_ms >= workstations.user_seen_ms`),
      address: db.prepare(`INSERT INTO workstations (name, ip, mac, ip_seen_ms) VALUES (@name, @ip, @mac, @t)
        ON CONFLICT (name) DO UPDATE SET ip = excluded.ip, mac = CASE WHEN excluded.mac = '' THEN workstations.mac ELSE excluded.mac END,
          ip_seen_ms = excluded.ip_seen_ms WHERE excluded.ip_seen_ms >= workstations.ip_seen_ms`),
      clear: db.prepare("UPDATE workstations SET ip = '' WHERE name = ? AND ip = ?"),
      byIp: db.prepare('SELECT * FROM workstations WHERE ip = ? ORDER BY ip_seen_ms DESC LIMIT 1'),
    };
  }

  get(name: string): Workstation | undefined {
    const r = this.st.get.get(name) as Row | undefined;
    return r ? toWs(r) : undefined;
  }

  /** The machine's last user, if this evidence is not older than what is known. */
  noteUser(name: string, user: string, domain: string, t: number): void {
    this.st.user.run(name, user, domain, t);
  }

  noteAddress(name: string, ip: string, mac: string, t: number): void {
    this.st.address.run({ name, ip, mac, t });
  }

  /** The address was released: the machine is no longer known to be there. */
  clearAddress(name: string, ip: string): void {
    this.st.clear.run(name, ip);
  }

  /** The machine most recently seen at `ip`. */
  atAddress(ip: string): Workstation | undefined {
    const r = this.st.byIp.get(ip) as Row | undefined;
    return r ? toWs(r) : undefined;
  }
}
