import type { Db } from './database';
import type { ValidEvent } from '../ingest/validate';
import { placeholders, RowBuffer } from './row-buffer';

/** Every event received, kept for `eventRetention` so operators can see what agents sent. */
export class EventLog {
  private readonly rows: RowBuffer;
  constructor(private readonly db: Db) {
    this.rows = new RowBuffer(
      db,
      (n) =>
        `INSERT INTO events (agent_id, spool_id, seq, kind, user, domain, ip, workstation, mac, event_time_ms, source, source_event_id, logon_type, reporter, received_ms) VALUES ${placeholders(n, 15)}`,
    );
  }

  /** Adds an event to the batch's transaction; written by `flush()`, which the batch calls before it commits. */
  append(agentId: string, spoolId: string, e: ValidEvent, receivedMs: number): void {
    this.rows.push(
      agentId,
      spoolId,
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
      receivedMs,
    );
  }

  /** Writes the events appended since the last flush. Call inside the batch's transaction. */
  flush(): void {
    this.rows.flush();
  }

  /** Forgets events of a batch whose transaction rolled back. */
  discard(): void {
    this.rows.discard();
  }

  /**
   * Drops events received before `cutoffMs`. Ids grow with arrival, so the first id at or after the
   * cutoff bounds the delete and the query stops at the first row it keeps.
   */
  prune(cutoffMs: number): number {
    this.rows.flush();
    const first = this.db.prepare('SELECT id FROM events WHERE received_ms >= ? ORDER BY id LIMIT 1').get(cutoffMs) as
      { id: number } | undefined;
    if (first) return this.db.prepare('DELETE FROM events WHERE id < ?').run(first.id).changes;
    return this.db.prepare('DELETE FROM events WHERE received_ms < ?').run(cutoffMs).changes;
  }

  count(): number {
    this.rows.flush();
    return (this.db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  }
}
