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

/**
 * Every change of an address's holder, kept for `historyRetention`: "who had 10.1.2.3 at 09:14
 * yesterday?" is the first question of an incident response.
 */
export class HistoryLog {
  private readonly st: Record<'close' | 'at' | 'around' | 'prune' | 'ofUser', Statement>;
  /** Rows opened in the transaction, written with multi-row INSERTs at `flush()` (or before a close). */
  private readonly opened: RowBuffer;
  constructor(db: Db) {
    this.opened = new RowBuffer(
      db,
      (n) => `INSERT INTO history (ip, user, domain, workstation, shared, from_ms) VALUES ${placeholders(n, 6)}`,
    );
    this.st = {
      close: db.prepare('UPDATE history SET to_ms = MAX(from_ms, ?), ended_by = ? WHERE ip = ? AND to_ms IS NULL'),
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

  /** Opens a row; written at the transaction's `flush()`. */
  open(e: Entry, fromMs: number): void {
    this.opened.push(e.ip, e.contested ? '(contested)' : e.user, e.domain, e.workstation, e.shared ? 1 : 0, fromMs);
  }

  close(ip: string, toMs: number, endedBy: string): void {
    // The row to close may be one opened earlier in this transaction.
    this.opened.flush();
    this.st.close.run(toMs, endedBy, ip);
  }

  /** Writes the rows opened since the last flush. Call inside the transaction that opened them. */
  flush(): void {
    this.opened.flush();
  }

  /** Forgets rows of a transaction that rolled back. */
  discard(): void {
    this.opened.discard();
  }

  /** The holder of `ip` at `atMs`, and the rows before it (newest first). */
  at(ip: string, atMs: number, around = 5): { at: HistoryRow | undefined; around: HistoryRow[] } {
    this.opened.flush();
    const hit = this.st.at.get(ip, atMs, atMs) as Row | undefined;
    const rows = this.st.around.all(ip, atMs + 3_600_000, around) as Row[];
    return { at: hit ? toRow(hit) : undefined, around: rows.map(toRow) };
  }

  /** Rows of one user (any domain; the caller narrows) that were open at or after `sinceMs`, newest first. */
  ofUser(user: string, sinceMs: number, limit = 1000): HistoryRow[] {
    this.opened.flush();
    return (this.st.ofUser.all(user, sinceMs, limit) as Row[]).map(toRow);
  }

  prune(beforeMs: number): number {
    this.opened.flush();
    return this.st.prune.run(beforeMs).changes;
  }
}
