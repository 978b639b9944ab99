import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { SpoolOpenError, ensurePrivateFile, errorMessage } from '@fsso/common';
import type { AgentEvent } from '@fsso/formats';

/** What to do when the spool reaches `maxBytes`. */
export type WhenFull = 'block' | 'drop-oldest';

export interface SpoolLimits {
  /** Payload bytes the spool may hold. @default 512 MiB */
  maxBytes: number;
  /**
   * 'block': refuse new events so the source waits (files are re-read from their position);
   * 'drop-oldest': delete the oldest events to make room. Both are logged and counted.
   * @default 'block'
   */
  whenFull: WhenFull;
}

export interface AppendResult {
  /** False when the spool is full and blocking: nothing was written, retry later. */
  accepted: boolean;
  /** Oldest events deleted to make room (drop-oldest). */
  dropped: number;
}

export interface SpooledEvent {
  seq: number;
  event: AgentEvent;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  -- seq is the per-agent sequence number collectors dedupe on; AUTOINCREMENT so a number is
  -- never reused, even after the newest rows were pruned.
  CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL);
  -- How far each collector has acknowledged.
  CREATE TABLE IF NOT EXISTS cursors (collector TEXT PRIMARY KEY, acked_seq INTEGER NOT NULL);
  -- Where each source stopped reading, written in the same transaction as its events.
  CREATE TABLE IF NOT EXISTS positions (source TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/**
 * The agent's durable spool: every event stays here until every configured collector has
 * acknowledged it. Events and the source position that produced them commit together, so a
 * restart neither loses nor repeats events.
 */
export class Spool {
  readonly spoolId: string;
  private readonly db: Database.Database;
  private readonly st;
  private headSeq: number;
  private bytes: number;
  /** Counters for logs and status: events dropped and appends refused because the spool was full. */
  readonly overflow = { dropped: 0, blocked: 0 };

  constructor(
    path: string,
    private readonly limits: SpoolLimits = { maxBytes: 512 * 1024 * 1024, whenFull: 'block' },
  ) {
    try {
      // Events name users and addresses: 0600 whatever the umask (SQLite's -wal/-shm follow it).
      ensurePrivateFile(path);
      this.db = new Database(path);
    } catch (err) {
      throw new SpoolOpenError(
        `cannot open the spool ${path} (${errorMessage(err)}); check spool in the config and the folder's permissions`,
        path,
      );
    }
    this.db.pragma('journal_mode = WAL');
    // NORMAL is enough: events and the source position that produced them commit in one
    // transaction, so a power cut rolls both back together and the source is read again from
    // there. Losing a cursor update only means resending, which collectors dedupe.
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('spool_id', ?)").run(randomUUID());
    this.spoolId = (this.db.prepare("SELECT value FROM meta WHERE key = 'spool_id'").get() as { value: string }).value;
    this.st = {
      insert: this.db.prepare('INSERT INTO events (payload) VALUES (?)'),
      setPos: this.db.prepare(
        'INSERT INTO positions (source, value) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET value = excluded.value',
      ),
      getPos: this.db.prepare('SELECT value FROM positions WHERE source = ?'),
      after: this.db.prepare('SELECT seq, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?'),
      setCursor: this.db.prepare(
        'INSERT INTO cursors (collector, acked_seq) VALUES (?, ?) ON CONFLICT (collector) DO UPDATE SET acked_seq = excluded.acked_seq',
      ),
      getCursor: this.db.prepare('SELECT acked_seq FROM cursors WHERE collector = ?'),
      prune: this.db.prepare('DELETE FROM events WHERE seq <= ?'),
      head: this.db.prepare("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS seq"),
      count: this.db.prepare('SELECT COUNT(*) AS n FROM events'),
      bytesUpTo: this.db.prepare('SELECT COALESCE(SUM(LENGTH(payload)), 0) AS b FROM events WHERE seq <= ?'),
      getMeta: this.db.prepare('SELECT value FROM meta WHERE key = ?'),
      setMeta: this.db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      oldest: this.db.prepare('SELECT seq, LENGTH(payload) AS b FROM events ORDER BY seq LIMIT ?'),
    };
    this.headSeq = (this.st.head.get() as { seq: number }).seq;
    this.bytes = (this.st.bytesUpTo.get(Number.MAX_SAFE_INTEGER) as { b: number }).b;
  }

  /** Payload bytes held now. */
  get sizeBytes(): number {
    return this.bytes;
  }

  /** Newest sequence ever assigned. */
  get head(): number {
    return this.headSeq;
  }

  /**
   * Appends events and the source position after them in one transaction. When the spool is full
   * it either refuses (block) or first deletes the oldest events (drop-oldest).
   */
  append(events: readonly AgentEvent[], position?: { source: string; value: string }): AppendResult {
    const payloads = events.map((e) => JSON.stringify(e));
    const incoming = payloads.reduce((n, p) => n + Buffer.byteLength(p), 0);
    let dropped = 0;
    if (incoming > 0 && this.bytes + incoming > this.limits.maxBytes) {
      if (this.limits.whenFull === 'block') {
        this.overflow.blocked++;
        return { accepted: false, dropped: 0 };
      }
    }
    this.db.transaction(() => {
      if (incoming > 0 && this.bytes + incoming > this.limits.maxBytes)
        dropped = this.dropOldest(this.bytes + incoming - this.limits.maxBytes);
      for (const p of payloads) this.headSeq = Number(this.st.insert.run(p).lastInsertRowid);
      if (position) this.st.setPos.run(position.source, position.value);
    })();
    this.bytes += incoming;
    this.overflow.dropped += dropped;
    return { accepted: true, dropped };
  }

  private dropOldest(needBytes: number): number {
    let freed = 0;
    let upTo = 0;
    let n = 0;
    for (const r of this.st.oldest.iterate(1_000_000) as IterableIterator<{ seq: number; b: number }>) {
      if (freed >= needBytes) break;
      freed += r.b;
      upTo = r.seq;
      n++;
    }
    if (n) this.st.prune.run(upTo);
    this.bytes -= freed;
    return n;
  }

  position(source: string): string | undefined {
    return (this.st.getPos.get(source) as { value: string } | undefined)?.value;
  }

  /** Up to `limit` events after `seq`, oldest first. */
  readAfter(seq: number, limit: number): SpooledEvent[] {
    return (this.st.after.all(seq, limit) as { seq: number; payload: string }[]).map((r) => ({
      seq: r.seq,
      event: JSON.parse(r.payload) as AgentEvent,
    }));
  }

  cursor(collector: string): number {
    return (this.st.getCursor.get(collector) as { acked_seq: number } | undefined)?.acked_seq ?? 0;
  }

  /**
   * Records a collector's acknowledgement and drops what every collector in `all` now holds.
   * One slow collector keeps events for itself without holding back the others' sends.
   */
  ack(collector: string, seq: number, all: readonly string[]): void {
    this.db.transaction(() => {
      this.st.setCursor.run(collector, seq);
      const min = Math.min(...all.map((c) => (c === collector ? seq : this.cursor(c))));
      if (min > 0) {
        this.bytes -= (this.st.bytesUpTo.get(min) as { b: number }).b;
        this.st.prune.run(min);
      }
    })();
  }

  /** Sets a collector's cursor back (the collector said it holds less than we thought). */
  resetCursor(collector: string, seq: number): void {
    this.st.setCursor.run(collector, seq);
  }

  /** A value the daemon keeps for other processes (`status` reads each collector link's state). */
  meta(key: string): string | undefined {
    return (this.st.getMeta.get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    if (this.db.open) this.st.setMeta.run(key, value);
  }

  /** Events still held (not yet acknowledged by every collector). */
  pending(): number {
    return (this.st.count.get() as { n: number }).n;
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
