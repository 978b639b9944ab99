import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import type { Entry } from '../identity/entry';
import { placeholders, RowBuffer } from './row-buffer';

/** Who held an address from when to when (event time). */
export interface HistoryRow {
  ip: string;
  user: string;
  domain: string;
  workstation: string;
  shared: boolean;
  fromMs: number;
  /** undefined while current. */
  toMs: number | undefined;
  endedBy: string;
}

interface Row {
  ip: string;
  user: string;
  domain: string;
  workstation: string;
  shared: number;
  from_ms: number;
  to_ms: number | null;
  ended_by: string | null;
}
const toRow = (r: Row): HistoryRow => ({
  ip: r.ip,
  user: r.user,
  domain: r.domain,
  workstation: r.workstation,
  shared: r.shared === 1,
  fromMs: r.from_ms,
  toMs: r.to_ms ?? undefined,
  endedBy: r.ended_by ?? '',
});

/** The current holding of an entry as a history row (still open). */
function openRow(e: Entry): HistoryRow {
  return {
    ip: e.ip,
    user: e.contested ? '(contested)' : e.user,
    domain: e.domain,
    workstation: e.heldWorkstation ?? e.workstation,
    shared: e.shared,
    fromMs: e.heldFromMs ?? e.firstSeenMs,
    toMs: undefined,
    endedBy: '',
  };
}

/** Newest first, then at most `limit`. */
function newest(rows: HistoryRow[], limit: number): HistoryRow[] {
  return rows.sort((a, b) => b.fromMs - a.fromMs).slice(0, limit);
}

/** Where the current holders are: the identity table's memory. */
export interface Holders {
  get(ip: string): Entry | undefined;
  ofUser(user: string): Entry[];
}

/**
 * Every change of an address's holder, kept for `historyRetention`: "who had 10.1.2.3 at 09:14
 * yesterday?" is the first question of an incident response. A holding still going on is the
 * entry itself (its `heldFromMs`, written with its logons row); the table gets the row, closed,
 * when the holding ends (schema migration 9): a row per new address cost as much as its logons row.
 */
export class HistoryLog {
  private readonly st: Record<'at' | 'around' | 'prune' | 'ofUser', Statement>;
  /** Rows of holdings that ended in the transaction, written with multi-row INSERTs at `flush()`. */
  private readonly closed: RowBuffer;
  constructor(
    db: Db,
    private readonly holders: Holders,
  ) {
    this.closed = new RowBuffer(
      db,
      (n) =>
        `INSERT INTO history (ip, user, domain, workstation, shared, from_ms, to_ms, ended_by) VALUES ${placeholders(n, 8)}`,
    );
    this.st = {
      at: db.prepare(
        'SELECT * FROM history WHERE ip = ? AND from_ms <= ? AND (to_ms IS NULL OR to_ms > ?) ORDER BY from_ms DESC LIMIT 1',
      ),
      around: db.prepare('SELECT * FROM history WHERE ip = ? AND from_ms <= ? ORDER BY from_ms DESC LIMIT ?'),
      prune: db.prepare('DELETE FROM history WHERE to_ms IS NOT NULL AND to_ms < ?'),
      ofUser: db.prepare(
        'SELECT * FROM history WHERE user = ? AND (to_ms IS NULL OR to_ms >= ?) ORDER BY from_ms DESC LIMIT ?',
      ),
    };
  }

  /** The holding of `e` (the entry as it was) ended at `toMs`; written at the transaction's `flush()`. */
  close(e: Entry, toMs: number, endedBy: string): void {
    const r = openRow(e);
    this.closed.push(
      r.ip,
      r.user,
      r.domain,
      r.workstation,
      r.shared ? 1 : 0,
      r.fromMs,
      Math.max(r.fromMs, toMs),
      endedBy,
    );
  }

  /** Writes the rows closed since the last flush. Call inside the transaction that closed them. */
  flush(): void {
    this.closed.flush();
  }

  /** Forgets rows of a transaction that rolled back. */
  discard(): void {
    this.closed.discard();
  }

  /** The holder of `ip` at `atMs`, and the rows before it (newest first). */
  at(ip: string, atMs: number, around = 5): { at: HistoryRow | undefined; around: HistoryRow[] } {
    this.closed.flush();
    const cur = this.holders.get(ip);
    const open = cur ? openRow(cur) : undefined;
    const row = this.st.at.get(ip, atMs, atMs) as Row | undefined;
    let hit = row ? toRow(row) : undefined;
    if (open && open.fromMs <= atMs && (!hit || open.fromMs >= hit.fromMs)) hit = open;
    const rows = (this.st.around.all(ip, atMs + 3_600_000, around) as Row[]).map(toRow);
    if (open && open.fromMs <= atMs + 3_600_000) rows.push(open);
    return { at: hit, around: newest(rows, around) };
  }

  /** Rows of one user (any domain; the caller narrows) that were open at or after `sinceMs`, newest first. */
  ofUser(user: string, sinceMs: number, limit = 1000): HistoryRow[] {
    this.closed.flush();
    const rows = (this.st.ofUser.all(user, sinceMs, limit) as Row[]).map(toRow);
    for (const e of this.holders.ofUser(user)) if (!e.contested) rows.push(openRow(e));
    return newest(rows, limit);
  }

  prune(beforeMs: number): number {
    this.closed.flush();
    return this.st.prune.run(beforeMs).changes;
  }
}
