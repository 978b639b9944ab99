import type { Db } from './database';
import { Interner } from './intern';
import { placeholders, RowBuffer } from './row-buffer';

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

type Row = [string, string, string, string, number, string, string, number];

/**
 * A machine record with every field named in one literal. Records are replaced at each change; a
 * copy by spread (`{ ...w, ip }`) measured 193 against 160 bytes a record (V8 leaves slack in
 * spread copies), and the table holds one record per machine for the collector's lifetime.
 */
export function machine(
  realm: string,
  name: string,
  user: string,
  domain: string,
  userSeenMs: number,
  ip: string,
  mac: string,
  ipSeenMs: number,
): Workstation {
  return { realm, name, user, domain, userSeenMs, ip, mac, ipSeenMs };
}

/**
 * The `machines` table held in memory, as the identity table is: an event naming a machine was
 * one point query and one or two conditional upserts (41 % of ingest's busy time with every event
 * naming one, bench/README.md "Ingest naming workstations"). Every machine is loaded at start, so
 * a miss means no such machine. Records are replaced, never changed, so a record a caller holds
 * stays what it read. Changed records are written at `flush()` with multi-row upserts inside the
 * transaction that changed them; `rollback()` reloads the table, so memory and disk agree after a
 * failed commit (rare: a full disk, a broken file), as the identity table does. An undo log per
 * change cost an object and a set entry per machine per batch for that rare case.
 */
export class MachineMemory {
  /** Realm → name → record: no key string built per event. */
  private readonly byRealm = new Map<string, Map<string, Workstation>>();
  /** Records changed since the last flush, per realm by name: written once each, as they are then. */
  private readonly pending = new Map<Map<string, Workstation>, Map<string, Workstation>>();
  private readonly rows: RowBuffer;

  constructor(private readonly db: Db) {
    // Each record is pending once, so one statement never names a machine twice.
    this.rows = new RowBuffer(
      db,
      (
        n,
      ) => `INSERT INTO machines (realm, name, user, domain, user_seen_ms, ip, mac, ip_seen_ms) VALUES ${placeholders(n, 8)}
        ON CONFLICT (realm, name) DO UPDATE SET user = excluded.user, domain = excluded.domain,
          user_seen_ms = excluded.user_seen_ms, ip = excluded.ip, mac = excluded.mac, ip_seen_ms = excluded.ip_seen_ms`,
    );
    this.load();
  }

  private load(): void {
    const all = this.db
      .prepare('SELECT realm, name, user, domain, user_seen_ms, ip, mac, ip_seen_ms FROM machines')
      .raw()
      .iterate() as IterableIterator<Row>;
    // One copy of each realm and domain for the whole table, not one per row read (~40 B a machine).
    const interner = new Interner();
    for (const [realm, name, user, domain, userSeenMs, ip, mac, ipSeenMs] of all)
      this.realm(realm).set(
        name,
        machine(interner.s(realm), name, user, interner.s(domain), userSeenMs, ip, mac, ipSeenMs),
      );
  }

  get(realm: string, name: string): Workstation | undefined {
    return this.byRealm.get(realm)?.get(name);
  }

  /** Replaces the record of (realm, name); written at the next flush. */
  put(w: Workstation): void {
    const names = this.realm(w.realm);
    names.set(w.name, w);
    let p = this.pending.get(names);
    if (!p) this.pending.set(names, (p = new Map()));
    p.set(w.name, w);
  }

  /** Whether records are waiting for a flush (a read from SQLite must flush first to see them). */
  get dirty(): boolean {
    return this.pending.size > 0;
  }

  /** Writes the changed records; must run inside the transaction that changed them. */
  flush(): void {
    for (const p of this.pending.values())
      for (const w of p.values())
        this.rows.push(w.realm, w.name, w.user, w.domain, w.userSeenMs, w.ip, w.mac, w.ipSeenMs);
    this.pending.clear();
    this.rows.flush();
  }

  /** The transaction rolled back: memory goes back to what was committed, nothing is written. */
  rollback(): void {
    this.pending.clear();
    this.rows.discard();
    this.byRealm.clear();
    this.load();
  }

  private realm(realm: string): Map<string, Workstation> {
    let names = this.byRealm.get(realm);
    if (!names) this.byRealm.set(realm, (names = new Map()));
    return names;
  }
}
