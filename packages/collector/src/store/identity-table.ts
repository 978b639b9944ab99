import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import { readMeta } from './database';
import {
  EVIDENCE_DEPTH,
  evidenceOf,
  heldChain,
  type Claim,
  type Entry,
  type EvidenceItem,
  type TableChange,
} from '../identity/entry';
import { HistoryLog } from './history';
import { Interner, ownIp } from './intern';
import {
  changeJson,
  evidenceJson,
  LOGON_COLUMNS,
  NO_CLAIMS,
  toEntry,
  type GroupParses,
  type LogonRow,
} from './entry-json';
import { LogonRows } from './logon-rows';
import { UserIndex } from './user-index';
import { DomainCounts } from './domain-counts';
import { pageOf, type LogonFilter } from './logon-query';
import { Tombstones } from './tombstones';

export { writeGroups } from './entry-json';

/** Rows per page of the start-up load: between pages a deferred load lets Lookups through. */
const LOAD_PAGE = 5000;

export interface TableOpenOptions {
  /**
   * Leave the rows on disk: the caller loads them with `loadSteps()`, and `find` reads SQLite
   * until then (Collector.start serves Lookup during a long load). @default false
   */
  deferLoad?: boolean;
}

/**
 * The IP → user table and its change log. Every write that firewalls must hear of gets the next
 * revision; callers run writes inside a transaction. The change log is derived (migration 8): an
 * entry keeps the revision of its last change, so the changes after R are the entries with a newer
 * revision plus the deletes after R, which alone keep a row in `changes` (tombstones). A change row
 * per revision, a copy of the entry, was a B-tree insert per new address; a resuming firewall needs
 * only the current entry of each address, in revision order.
 *
 * Reads come from an in-memory copy (the table is small: one row per active address), so the hot
 * path of ingest does no SELECT; SQLite is written through, once per transaction: rows, refreshes
 * (the commonest write by far) and change rows are collected and written by `flush()`.
 */
export class IdentityTable {
  readonly tableId: string;
  private rev: number;
  /** The revision last written to `meta`: written once per transaction (at `flush`), not per change. */
  private revWritten: number;
  private readonly st: Record<'evidence' | 'setRev' | 'one', Statement>;
  private loadedValue = false;
  private readonly tombstones: Tombstones;
  /** Rows, refreshes and change rows of the transaction, written by `flush()` with multi-row statements. */
  private readonly rows: LogonRows;
  readonly history: HistoryLog;
  private readonly cache = new Map<string, Entry>();
  private readonly users = new UserIndex(() => this.cache.values());
  private readonly interner = new Interner();
  private readonly perDomain = new DomainCounts();
  /** Entries whose evidence chain grew since it was last written (see persistEvidence). */
  private readonly evidenceDirty = new Set<string>();

  constructor(
    private readonly db: Db,
    opts: TableOpenOptions = {},
  ) {
    this.tableId = readMeta(db, 'table_id') ?? '';
    this.tombstones = new Tombstones(db);
    this.rev = this.storedRevision();
    this.revWritten = this.rev;
    this.st = {
      evidence: db.prepare('UPDATE logons SET evidence = ?, claims = ? WHERE ip = ?'),
      setRev: db.prepare("UPDATE meta SET value = ? WHERE key = 'revision'"),
      one: db.prepare(`SELECT ${LOGON_COLUMNS} FROM logons WHERE ip = ?`).raw(true),
    };
    this.rows = new LogonRows(db);
    this.history = new HistoryLog(db, { get: (ip) => this.cache.get(ip), ofUser: (user) => this.ofUser(user) });
    if (!opts.deferLoad) this.loadCache();
  }

  /** Every row is in memory (false only during a deferred load). */
  get loaded(): boolean {
    return this.loadedValue;
  }

  private loadCache(): void {
    const steps = this.loadSteps();
    while (steps.next().done !== true);
  }

  /**
   * Reads the rows into memory a page at a time, yielding the count so far after each page. A
   * restart with 1 M mappings spends seconds here, SQLite's own stepping most of it (bench/README.md,
   * "restart"), so the collector runs it between Lookups instead of before them.
   */
  *loadSteps(): Generator<number, number> {
    this.loadedValue = false;
    this.cache.clear();
    this.users.reset();
    this.perDomain.clear();
    const groups: GroupParses = new Map();
    // Pages of all() along the primary key: a row at a time through iterate() was a third of a restart.
    // Rows as arrays (raw): an object of 15 named properties per row was most of the garbage.
    const page = this.db
      .prepare(`SELECT ${LOGON_COLUMNS} FROM logons WHERE ip > ? ORDER BY ip LIMIT ${LOAD_PAGE}`)
      .raw(true);
    let n = 0;
    for (let after = ''; ;) {
      const rows = page.all(after) as LogonRow[];
      for (const r of rows) this.remember(toEntry(r, this.interner, groups));
      n += rows.length;
      const last = rows[rows.length - 1];
      if (!last || rows.length < LOAD_PAGE) break;
      after = last[0];
      yield n;
    }
    this.loadedValue = true;
    return n;
  }

  /**
   * Who is at `ip`, for a reader that may come before the load is complete (Lookup at start-up):
   * rows not yet in memory are read from SQLite, which holds the same committed table (nothing
   * writes before the load ends).
   */
  find(ip: string): Entry | undefined {
    const e = this.cache.get(ip);
    if (e !== undefined || this.loadedValue) return e;
    const row = this.st.one.get(ip) as LogonRow | undefined;
    return row && toEntry(row, this.interner, new Map());
  }

  /** `old`: the entry the table holds at the address, when the caller has it already. */
  private remember(e: Entry, old = this.cache.get(e.ip)): void {
    if (old) this.perDomain.add(old.domain, -1);
    this.perDomain.add(e.domain, 1);
    if (old && old.user !== e.user) this.users.unlink(old.user, e.ip);
    this.cache.set(e.ip, e);
    this.users.link(e);
  }

  private forget(ip: string): void {
    const old = this.cache.get(ip);
    if (!old) return;
    this.perDomain.add(old.domain, -1);
    this.cache.delete(ip);
    this.evidenceDirty.delete(ip);
    this.users.unlink(old.user, ip);
  }

  /** Live entries of one (canonical) domain. */
  countOf(domain: string): number {
    return this.perDomain.of(domain);
  }

  get revision(): number {
    return this.rev;
  }

  get(ip: string): Entry | undefined {
    return this.cache.get(ip);
  }

  count(): number {
    return this.cache.size;
  }

  /**
   * Writes an entry as a new revision. `evidenceTimeMs` is when, by the evidence, the holder of
   * the address changed (history is kept in event time, which is what an investigator asks about).
   */
  upsert(entry: Omit<Entry, 'revision'>, reason: string, atMs: number, evidenceTimeMs = atMs): TableChange {
    const before = this.get(entry.ip);
    const revision = this.nextRevision();
    const i = this.interner;
    const evidence = heldChain(entry.evidence);
    // Older items came from the entry before, already shared; the newest is the event's own copy.
    const newest = typeof evidence === 'string' ? undefined : Array.isArray(evidence) ? evidence.at(-1) : evidence;
    if (newest) i.item(newest);
    // A new holding (history): a new address, or another user, domain or shared/contested state.
    const held =
      !before ||
      before.user !== entry.user ||
      before.domain !== i.s(entry.domain) ||
      before.shared !== entry.shared ||
      before.contested !== entry.contested
        ? undefined
        : before;
    const from = held ? (held.heldFromMs ?? held.firstSeenMs) : evidenceTimeMs;
    // Every field named, in one order: built with a spread (`{ ...entry, revision }`), each entry
    // got a hidden class and descriptor array of its own in V8, ~500 bytes per mapping.
    const full: Entry = {
      // The key the table already holds (each event decodes its own copy), or a new address's own string.
      ip: before ? before.ip : ownIp(entry.ip),
      user: entry.user,
      domain: i.s(entry.domain),
      workstation: entry.workstation,
      groups: i.list(entry.groups),
      groupDns: entry.groupDns && i.list(entry.groupDns),
      firstSeenMs: entry.firstSeenMs,
      lastSeenMs: entry.lastSeenMs,
      source: i.s(entry.source),
      revision,
      shared: entry.shared,
      groupsStale: entry.groupsStale,
      evidence,
      userSeenMs: entry.userSeenMs,
      contested: entry.contested,
      claims: entry.claims.length ? entry.claims : NO_CLAIMS,
      // Undefined when it is firstSeenMs (a new holder's entry starts then): a boxed double less per entry.
      heldFromMs: from === entry.firstSeenMs ? undefined : from,
      heldWorkstation: held ? (held.heldWorkstation ?? held.workstation) : entry.workstation,
    };
    // Written at flush with the transaction's other rows, evidence and claims included.
    this.rows.upsert(full);
    this.evidenceDirty.delete(full.ip);
    this.remember(full, before);
    // The holding that ended gets its history row; the new one lives in the entry until it ends.
    if (before && !held) this.history.close(before, evidenceTimeMs, reason);
    // No change row: the entry carries its revision, and changesSince reads it from there.
    return { revision, op: 'UPSERT', ip: entry.ip, entry: full, reason, atMs };
  }

  /**
   * Moves last-seen forward without a new revision (firewalls decide on user and groups, not on
   * it). Written to SQLite at the next `flush()`, in the same transaction.
   */
  refresh(current: Entry, t: number, userEvidence: boolean, source: string, item: EvidenceItem): void {
    const e = this.cache.get(current.ip);
    if (!e) return;
    e.lastSeenMs = Math.max(e.lastSeenMs, t);
    if (userEvidence) e.userSeenMs = Math.max(e.userSeenMs, t);
    e.source = this.interner.s(source);
    this.interner.item(item);
    // In place: a refresh is the commonest write of a logon storm, and this array is ours.
    const chain = evidenceOf(e);
    chain.push(item);
    if (chain.length > EVIDENCE_DEPTH) chain.shift();
    e.evidence = chain;
    this.rows.refresh(e.ip);
    if (!this.rows.writesEvidence(e.ip)) this.evidenceDirty.add(e.ip);
  }

  /**
   * Replaces the claims of a shared or contested entry without a new revision (firewalls never see
   * claims); written with the evidence chain.
   */
  setClaims(current: Entry, claims: Claim[]): void {
    const e = this.cache.get(current.ip);
    if (!e) return;
    e.claims = claims;
    if (!this.rows.writesEvidence(e.ip)) this.evidenceDirty.add(e.ip);
  }

  /**
   * Writes what the transaction collected: rows, refreshes, change and history rows since the
   * last flush, and the revision. Call inside the transaction; TableWriter does at the end of every write.
   */
  flush(): void {
    this.rows.flush((ip) => this.cache.get(ip));
    this.history.flush();
    if (this.revWritten !== this.rev) {
      this.st.setRev.run(String(this.rev));
      this.revWritten = this.rev;
    }
  }

  /**
   * Writes grown evidence chains (and the claims of shared and contested addresses, which grow with them). Rewriting the chain at every refresh doubled the cost of a
   * logon storm, so it is written with each upsert and by the periodic sweep; after a crash an
   * entry's chain may lack its last refreshes, never its user. Writes at most `max` chains and
   * returns how many are left, so the sweep can write them in slices.
   */
  persistEvidence(max = Infinity): number {
    this.flush();
    let n = 0;
    for (const ip of this.evidenceDirty) {
      if (n++ >= max) break;
      const e = this.cache.get(ip);
      if (e) this.st.evidence.run(evidenceJson(e), e.claims.length ? JSON.stringify(e.claims) : '[]', ip);
      this.evidenceDirty.delete(ip);
    }
    return this.evidenceDirty.size;
  }

  delete(ip: string, reason: string, atMs: number, evidenceTimeMs = atMs): TableChange | undefined {
    const gone = this.get(ip);
    if (!gone) return undefined;
    this.rows.delete(ip);
    this.forget(ip);
    this.history.close(gone, evidenceTimeMs, reason);
    return this.record({ revision: this.nextRevision(), op: 'DELETE', ip, entry: gone, reason, atMs });
  }

  /** Entries whose newest evidence is older than `cutoffMs` (a page at a time). */
  expiredBefore(cutoffMs: number): Entry[] {
    const out: Entry[] = [];
    for (const e of this.cache.values()) {
      if (e.lastSeenMs < cutoffMs) out.push(e);
      if (out.length === 1000) break;
    }
    return out;
  }

  /** Entries of one user (any domain). */
  ofUser(user: string): Entry[] {
    return this.users
      .addressesOf(user)
      .map((ip) => this.cache.get(ip))
      .filter((e): e is Entry => e !== undefined);
  }

  /** A page of entries matching the filter, ordered by address text after `afterIp`, and how many match in all. */
  list(filter: LogonFilter, afterIp: string, limit: number): { entries: Entry[]; more: boolean; total: number } {
    const user = filter.user?.toLowerCase();
    return pageOf(user ? this.ofUser(user) : this.cache.values(), filter, afterIp, limit);
  }

  /** Every entry, for a snapshot. */
  *all(): IterableIterator<Entry> {
    yield* this.cache.values();
  }

  /**
   * What a replica at `revision` needs to hold the table as it is now, in revision order: the
   * current entry of every address changed after it (reason `resumed`: several changes of one
   * address come as its last one) and the deletes after it. `undefined` if some of them are no
   * longer kept (a snapshot is needed).
   */
  changesSince(revision: number): TableChange[] | undefined {
    if (revision > this.rev || revision < this.tombstones.floor) return undefined;
    if (revision === this.rev) return [];
    this.flush();
    const out: TableChange[] = [];
    for (const e of this.cache.values())
      if (e.revision > revision)
        out.push({ revision: e.revision, op: 'UPSERT', ip: e.ip, entry: e, reason: 'resumed', atMs: e.lastSeenMs });
    for (const c of this.tombstones.since(revision)) out.push(c);
    return out.sort((a, b) => a.revision - b.revision);
  }

  /** Keeps the deletes of the newest `keep` revisions: a resume from before them gets a snapshot. */
  pruneChanges(keep: number): number {
    // The revision survives in meta even when every change row is pruned.
    this.flush();
    return this.tombstones.prune(this.rev - keep);
  }

  /** After a rolled-back transaction: what it changed in memory was never written. */
  reloadRevision(): void {
    this.rows.discard();
    this.history.discard();
    this.rev = this.storedRevision();
    this.revWritten = this.rev;
    this.tombstones.reload();
    this.loadCache();
  }

  /**
   * The committed revision: `meta` holds it as of the last flush; a change row written in a
   * transaction that committed without one (a caller's own transaction) is newer.
   */
  private storedRevision(): number {
    return Math.max(Number(readMeta(this.db, 'revision') ?? '0'), this.tombstones.newestRevision());
  }

  private nextRevision(): number {
    this.rev += 1;
    return this.rev;
  }

  /** A delete's tombstone, written at flush. */
  private record(change: TableChange): TableChange {
    this.rows.change(
      change.revision,
      change.op,
      change.ip,
      change.entry ? changeJson(change.entry) : null,
      change.reason,
      change.atMs,
    );
    return change;
  }
}
