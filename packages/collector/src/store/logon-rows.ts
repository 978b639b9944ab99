import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import type { Entry } from '../identity/entry';
import { evidenceJson } from './entry-json';
import { writeGroups } from './entry-json';
import { placeholders, RowBuffer } from './row-buffer';

const COLUMNS =
  'ip, user, domain, workstation, groups, first_seen_ms, last_seen_ms, source, revision, shared, groups_stale, evidence, user_seen_ms, contested, claims, held_from_ms, held_workstation';

/**
 * The `logons` rows a transaction wrote, collected and written at its end with multi-row
 * statements: a new address was four single-row statements (logons, changes, history, events),
 * and per-statement overhead, not SQLite's own work, was most of their cost (bench/README.md,
 * "ingest"). An address written several times in one transaction is written once, as it is at
 * the end. Everything here must be flushed inside the transaction that collected it.
 */
export class LogonRows {
  /**
   * Addresses whose whole row is written at flush (a new revision), with their entry: the table's
   * entry of the address as long as it is here (every new entry comes through `upsert`, a delete
   * takes it out, and refreshes change it in place), so the flush needs no lookup of its own.
   */
  private readonly upserted = new Map<string, Entry>();
  /** Addresses whose last-seen, user-seen and source moved (a refresh, no revision). */
  private readonly refreshed = new Set<string>();
  private readonly upserts: RowBuffer;
  private readonly refreshes: RowBuffer;
  private readonly changes: RowBuffer;
  private readonly del: Statement;
  /** The groups column per shared (interned) group list: most entries share a few dozen lists. */
  private readonly groupText = new WeakMap<string[], { dns: string[] | undefined; text: string }>();

  constructor(db: Db) {
    // Each address is in `upserted` once, so one statement never names an address twice.
    this.upserts = new RowBuffer(
      db,
      (n) => `INSERT INTO logons (${COLUMNS}) VALUES ${placeholders(n, 17)}
        ON CONFLICT (ip) DO UPDATE SET user = excluded.user, domain = excluded.domain, workstation = excluded.workstation,
          groups = excluded.groups, first_seen_ms = excluded.first_seen_ms, last_seen_ms = excluded.last_seen_ms,
          source = excluded.source, revision = excluded.revision, shared = excluded.shared, groups_stale = excluded.groups_stale,
          evidence = excluded.evidence, user_seen_ms = excluded.user_seen_ms, contested = excluded.contested, claims = excluded.claims,
          held_from_ms = excluded.held_from_ms, held_workstation = excluded.held_workstation`,
    );
    this.refreshes = new RowBuffer(
      db,
      (n) =>
        `WITH v (ip, l, u, s) AS (VALUES ${placeholders(n, 4)}) UPDATE logons SET last_seen_ms = v.l, user_seen_ms = v.u, source = v.s FROM v WHERE logons.ip = v.ip`,
    );
    this.changes = new RowBuffer(
      db,
      (n) => `INSERT INTO changes (revision, op, ip, entry, reason, at_ms) VALUES ${placeholders(n, 6)}`,
    );
    this.del = db.prepare('DELETE FROM logons WHERE ip = ?');
  }

  /** The whole row of the entry's address is written at flush, as the entry is then. */
  upsert(e: Entry): void {
    this.upserted.set(e.ip, e);
  }

  refresh(ip: string): void {
    if (!this.upserted.has(ip)) this.refreshed.add(ip);
  }

  /** Deleted now: a row collected for the address before is dropped, one collected after is written. */
  delete(ip: string): void {
    this.upserted.delete(ip);
    this.refreshed.delete(ip);
    this.del.run(ip);
  }

  /** Whether the address's evidence and claims are written at flush with its row. */
  writesEvidence(ip: string): boolean {
    return this.upserted.has(ip);
  }

  change(revision: number, op: string, ip: string, entry: string | null, reason: string, atMs: number): void {
    this.changes.push(revision, op, ip, entry, reason, atMs);
  }

  /** The groups column of an entry, built once per shared group list. */
  groups(e: Pick<Entry, 'groups' | 'groupDns'>): string {
    // Most entries have no groups known (none configured, or the directory not asked yet).
    if (e.groups.length === 0) return '[]';
    const have = this.groupText.get(e.groups);
    if (have && have.dns === e.groupDns) return have.text;
    const text = writeGroups(e.groups, e.groupDns);
    this.groupText.set(e.groups, { dns: e.groupDns, text });
    return text;
  }

  /** Writes what was collected, reading each address's entry as it is now. */
  flush(get: (ip: string) => Entry | undefined): void {
    for (const e of this.upserted.values()) {
      const u = this.upserts;
      u.put(e.ip);
      u.put(e.user);
      u.put(e.domain);
      u.put(e.workstation);
      u.put(this.groups(e));
      u.put(e.firstSeenMs);
      u.put(e.lastSeenMs);
      u.put(e.source);
      u.put(e.revision);
      u.put(e.shared ? 1 : 0);
      u.put(e.groupsStale ? 1 : 0);
      u.put(evidenceJson(e));
      u.put(e.userSeenMs);
      u.put(e.contested ? 1 : 0);
      u.put(e.claims.length ? JSON.stringify(e.claims) : '[]');
      u.put(e.heldFromMs ?? e.firstSeenMs);
      u.put(e.heldWorkstation ?? e.workstation);
      u.endRow();
    }
    this.upserts.flush();
    this.upserted.clear();
    for (const ip of this.refreshed) {
      const e = get(ip);
      if (!e) continue;
      const r = this.refreshes;
      r.put(ip);
      r.put(e.lastSeenMs);
      r.put(e.userSeenMs);
      r.put(e.source);
      r.endRow();
    }
    this.refreshes.flush();
    this.refreshed.clear();
    this.changes.flush();
  }

  /** Forgets rows not yet written (their transaction rolled back). */
  discard(): void {
    this.upserted.clear();
    this.refreshed.clear();
    this.upserts.discard();
    this.refreshes.discard();
    this.changes.discard();
  }
}
