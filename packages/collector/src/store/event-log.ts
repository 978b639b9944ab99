import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import type { ValidEvent } from '../ingest/validate';

/** Events of one agent's batch, as received: one row of `event_batches`. */
interface Pending {
  agentId: string;
  spoolId: string;
  receivedMs: number;
  /** The batch's first event, whole: the values the other rows leave out. */
  defaults: unknown[];
  rows: unknown[][];
}

/** The columns of an event row, in the order of the `events` view. */
const COLUMNS = 12;

/**
 * Every event received, kept for `eventRetention` so operators can see what agents sent. A batch's
 * events are one row (a JSON array of event rows; schema migration 7): a row per event was a
 * B-tree insert per event, a fifth of ingest's SQLite work. A row leaves out (null, or cut off at
 * the end) the values equal to the batch's first event, written once as `defaults` (migration
 * 10): 43 bytes per event instead of 110, half the JSON work. The view `events` reads them back
 * with the old table's columns.
 */
export class EventLog {
  private pending: Pending | undefined;
  private readonly done: Pending[] = [];
  private readonly insert: Statement;
  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      'INSERT INTO event_batches (agent_id, spool_id, received_ms, n, rows, defaults) VALUES (?, ?, ?, ?, ?, ?)',
    );
  }

  /** Adds an event to the batch's transaction; written by `flush()`, which the batch calls before it commits. */
  append(agentId: string, spoolId: string, e: ValidEvent, receivedMs: number): void {
    const row: unknown[] = [
      e.seq,
      e.kind,
      e.user,
      e.domain,
      e.ip,
      e.workstation,
      e.mac,
      e.eventTimeMs,
      e.source,
      e.sourceEventId,
      e.logonType,
      e.reporter,
    ];
    let p = this.pending;
    if (!p || p.agentId !== agentId || p.spoolId !== spoolId || p.receivedMs !== receivedMs) {
      if (p) this.done.push(p);
      p = this.pending = { agentId, spoolId, receivedMs, defaults: row.slice(), rows: [] };
    }
    const d = p.defaults;
    let length = 0;
    for (let i = 0; i < COLUMNS; i++) {
      if (row[i] === d[i]) row[i] = null;
      else length = i + 1;
    }
    row.length = length;
    p.rows.push(row);
  }

  /** Writes the events appended since the last flush. Call inside the batch's transaction. */
  flush(): void {
    if (this.pending) this.done.push(this.pending);
    this.pending = undefined;
    for (const p of this.done)
      this.insert.run(
        p.agentId,
        p.spoolId,
        p.receivedMs,
        p.rows.length,
        JSON.stringify(p.rows),
        JSON.stringify(p.defaults),
      );
    this.done.length = 0;
  }

  /** Forgets events of a batch whose transaction rolled back. */
  discard(): void {
    this.pending = undefined;
    this.done.length = 0;
  }

  /**
   * Drops events received before `cutoffMs`. Ids grow with arrival, so the first batch at or after
   * the cutoff bounds the delete and the query stops at the first row it keeps.
   */
  prune(cutoffMs: number): number {
    this.flush();
    const first = this.db
      .prepare('SELECT id FROM event_batches WHERE received_ms >= ? ORDER BY id LIMIT 1')
      .get(cutoffMs) as { id: number } | undefined;
    // No batch at or after the cutoff: every batch is older, and all go.
    const bound = first?.id ?? Number.MAX_SAFE_INTEGER;
    const gone = this.db.prepare('SELECT COALESCE(SUM(n), 0) AS n FROM event_batches WHERE id < ?').get(bound) as {
      n: number;
    };
    this.db.prepare('DELETE FROM event_batches WHERE id < ?').run(bound);
    return gone.n;
  }

  count(): number {
    this.flush();
    return (this.db.prepare('SELECT COALESCE(SUM(n), 0) AS n FROM event_batches').get() as { n: number }).n;
  }
}
