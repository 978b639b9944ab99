import type { Statement } from 'better-sqlite3';
import { networkContains, type Network } from '@fsso/common';
import type { Db } from './database';
import { readMeta } from './database';
import type { Entry, EvidenceItem, TableChange } from '../identity/entry';
import { HistoryLog } from './history';

interface LogonRow {
  ip: string;
  user: string;
  domain: string;
  workstation: string;
  groups: string;
  first_seen_ms: number;
  last_seen_ms: number;
  source: string;
  revision: number;
  shared: number;
  groups_stale: number;
  evidence: string;
  user_seen_ms: number;
}

const toEntry = (r: LogonRow): Entry => ({
  ip: r.ip, user: r.user, domain: r.domain, workstation: r.workstation, groups: JSON.parse(r.groups) as string[],
  firstSeenMs: r.first_seen_ms, lastSeenMs: r.last_seen_ms, source: r.source, revision: r.revision,
  shared: r.shared === 1, groupsStale: r.groups_stale === 1, evidence: JSON.parse(r.evidence) as EvidenceItem[], userSeenMs: r.user_seen_ms,
});

/** Evidence items kept per entry. */
const EVIDENCE_DEPTH = 6;

export interface LogonFilter {
  user?: string | undefined;
  domain?: string | undefined;
  network?: Network | undefined;
}

/**
 * The IP → user table and its change log. Every write that firewalls must hear of gets the next
 * revision and a row in `changes`; callers run writes inside a transaction.
 */
export class IdentityTable {
  readonly tableId: string;
  private rev: number;
  private readonly st: Record<'get' | 'upsert' | 'refresh' | 'del' | 'change' | 'setRev' | 'expired' | 'count', Statement>;
  readonly history: HistoryLog;

  constructor(private readonly db: Db) {
    this.tableId = readMeta(db, 'table_id') ?? '';
    this.rev = Number(readMeta(db, 'revision') ?? '0');
    this.st = {
      get: db.prepare('SELECT * FROM logons WHERE ip = ?'),
      upsert: db.prepare(`INSERT INTO logons (ip, user, domain, workstation, groups, first_seen_ms, last_seen_ms, source, revision, shared, groups_stale, evidence, user_seen_ms)
        VALUES (@ip, @user, @domain, @workstation, @groups, @firstSeenMs, @lastSeenMs, @source, @revision, @shared, @groupsStale, @evidence, @userSeenMs)
        ON CONFLICT (ip) DO UPDATE SET user = excluded.user, domain = excluded.domain, workstation = excluded.workstation,
          groups = excluded.groups, first_seen_ms = excluded.first_seen_ms, last_seen_ms = excluded.last_seen_ms,
          source = excluded.source, revision = excluded.revision, shared = excluded.shared, groups_stale = excluded.groups_stale,
          evidence = excluded.evidence, user_seen_ms = excluded.user_seen_ms`),
      refresh: db.prepare('UPDATE logons SET last_seen_ms = MAX(last_seen_ms, @t), user_seen_ms = MAX(user_seen_ms, @userT), source = @source, evidence = @evidence WHERE ip = @ip'),
      del: db.prepare('DELETE FROM logons WHERE ip = ?'),
      change: db.prepare('INSERT INTO changes (revision, op, ip, entry, reason, at_ms) VALUES (?, ?, ?, ?, ?, ?)'),
      setRev: db.prepare("UPDATE meta SET value = ? WHERE key = 'revision'"),
      expired: db.prepare('SELECT * FROM logons WHERE last_seen_ms < ? ORDER BY last_seen_ms LIMIT 1000'),
      count: db.prepare('SELECT COUNT(*) AS n FROM logons'),
    };
    this.history = new HistoryLog(db);
  }

  get revision(): number {
    return this.rev;
  }

  get(ip: string): Entry | undefined {
    const row = this.st.get.get(ip) as LogonRow | undefined;
    return row ? toEntry(row) : undefined;
  }

  count(): number {
    return (this.st.count.get() as { n: number }).n;
  }

  /**
   * Writes an entry as a new revision. `evidenceTimeMs` is when, by the evidence, the holder of
   * the address changed (history is kept in event time, which is what an investigator asks about).
   */
  upsert(entry: Omit<Entry, 'revision'>, reason: string, atMs: number, evidenceTimeMs = atMs): TableChange {
    const before = this.get(entry.ip);
    const revision = this.nextRevision();
    const full: Entry = { ...entry, evidence: entry.evidence.slice(-EVIDENCE_DEPTH), revision };
    this.st.upsert.run({ ...full, groups: JSON.stringify(full.groups), shared: full.shared ? 1 : 0, groupsStale: full.groupsStale ? 1 : 0, evidence: JSON.stringify(full.evidence) });
    if (!before || before.user !== full.user || before.domain !== full.domain || before.shared !== full.shared) {
      if (before) this.history.close(entry.ip, evidenceTimeMs, reason);
      this.history.open(full, evidenceTimeMs);
    }
    return this.record({ revision, op: 'UPSERT', ip: entry.ip, entry: full, reason, atMs });
  }

  /** Moves last-seen forward without a new revision: firewalls decide on user and groups, not on it. */
  refresh(current: Entry, t: number, userEvidence: boolean, source: string, item: EvidenceItem): void {
    this.st.refresh.run({ ip: current.ip, t, userT: userEvidence ? t : 0, source, evidence: JSON.stringify([...current.evidence, item].slice(-EVIDENCE_DEPTH)) });
  }

  delete(ip: string, reason: string, atMs: number, evidenceTimeMs = atMs): TableChange | undefined {
    const gone = this.get(ip);
    if (!gone) return undefined;
    this.st.del.run(ip);
    this.history.close(ip, evidenceTimeMs, reason);
    return this.record({ revision: this.nextRevision(), op: 'DELETE', ip, entry: gone, reason, atMs });
  }

  /** Entries whose newest evidence is older than `cutoffMs` (a page at a time). */
  expiredBefore(cutoffMs: number): Entry[] {
    return (this.st.expired.all(cutoffMs) as LogonRow[]).map(toEntry);
  }

  /** Entries ordered by address text, after `afterIp`, matching the filter. */
  list(filter: LogonFilter, afterIp: string, limit: number): { entries: Entry[]; more: boolean } {
    const where: string[] = ['ip > @afterIp'];
    if (filter.user) where.push('user = @user');
    if (filter.domain) where.push('domain = @domain');
    const stmt = this.db.prepare(`SELECT * FROM logons WHERE ${where.join(' AND ')} ORDER BY ip LIMIT @chunk`);
    const out: Entry[] = [];
    let cursor = afterIp;
    // The network filter runs in JS (SQLite has no address type), so read in chunks until full.
    for (;;) {
      const rows = stmt.all({ afterIp: cursor, user: filter.user?.toLowerCase(), domain: filter.domain?.toUpperCase(), chunk: 500 }) as LogonRow[];
      for (const r of rows) {
        if (filter.network && !networkContains(filter.network, r.ip)) continue;
        if (out.length === limit) return { entries: out, more: true };
        out.push(toEntry(r));
      }
      if (rows.length < 500) return { entries: out, more: false };
      cursor = rows[rows.length - 1]?.ip ?? cursor;
    }
  }

  countMatching(filter: LogonFilter): number {
    if (!filter.user && !filter.domain && !filter.network) return this.count();
    let n = 0;
    let after = '';
    for (;;) {
      const page = this.list(filter, after, 1000);
      n += page.entries.length;
      if (!page.more) return n;
      after = page.entries[page.entries.length - 1]?.ip ?? after;
    }
  }

  /** Every entry, for a snapshot. */
  *all(): IterableIterator<Entry> {
    for (const row of this.db.prepare('SELECT * FROM logons ORDER BY ip').iterate() as IterableIterator<LogonRow>) yield toEntry(row);
  }

  /** Changes after `revision`, or `undefined` if some of them are no longer kept. */
  changesSince(revision: number): TableChange[] | undefined {
    if (revision > this.rev) return undefined;
    if (revision === this.rev) return [];
    const first = this.db.prepare('SELECT MIN(revision) AS r FROM changes WHERE revision > ?').get(revision) as { r: number | null };
    if (first.r !== revision + 1) return undefined;
    const rows = this.db.prepare('SELECT * FROM changes WHERE revision > ? ORDER BY revision').all(revision) as {
      revision: number; op: 'UPSERT' | 'DELETE'; ip: string; entry: string | null; reason: string; at_ms: number;
    }[];
    return rows.map((r) => ({ revision: r.revision, op: r.op, ip: r.ip, entry: r.entry ? (JSON.parse(r.entry) as Entry) : undefined, reason: r.reason, atMs: r.at_ms }));
  }

  /** Keeps the newest `keep` changes. */
  pruneChanges(keep: number): number {
    return this.db.prepare('DELETE FROM changes WHERE revision <= ?').run(this.rev - keep).changes;
  }

  /** After a rolled-back transaction: the revisions it took were never written. */
  reloadRevision(): void {
    this.rev = Number(readMeta(this.db, 'revision') ?? '0');
  }

  private nextRevision(): number {
    this.rev += 1;
    this.st.setRev.run(String(this.rev));
    return this.rev;
  }

  private record(change: TableChange): TableChange {
    this.st.change.run(change.revision, change.op, change.ip, change.entry ? JSON.stringify(change.entry) : null, change.reason, change.atMs);
    return change;
  }
}
