import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import { readMeta } from './database';
import type { TableChange } from '../identity/entry';
import { readChangeEntry } from './entry-json';

/**
 * The deletes (and expiries) of the derived change log (schema migration 8): the rows left in
 * `changes`, and `meta.change_floor`, the oldest revision a firewall can resume from (the
 * deletes before it were pruned).
 */
export class Tombstones {
  private floorValue: number;
  private readonly st: Record<'since' | 'setFloor' | 'prune', Statement>;

  constructor(private readonly db: Db) {
    this.st = {
      since: db.prepare(
        "SELECT revision, ip, entry, reason, at_ms FROM changes WHERE revision > ? AND op = 'DELETE' ORDER BY revision",
      ),
      setFloor: db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('change_floor', ?)"),
      prune: db.prepare('DELETE FROM changes WHERE revision <= ?'),
    };
    this.floorValue = this.stored();
  }

  get floor(): number {
    return this.floorValue;
  }

  /** The deletes after `revision`, in revision order. */
  since(revision: number): TableChange[] {
    const rows = this.st.since.all(revision) as {
      revision: number;
      ip: string;
      entry: string | null;
      reason: string;
      at_ms: number;
    }[];
    return rows.map((r) => ({
      revision: r.revision,
      op: 'DELETE',
      ip: r.ip,
      entry: r.entry ? readChangeEntry(r.entry) : undefined,
      reason: r.reason,
      atMs: r.at_ms,
    }));
  }

  /** Forgets the deletes up to `floor`: resumes from before it get a snapshot. Returns how many went. */
  prune(floor: number): number {
    if (floor > this.floorValue) {
      this.st.setFloor.run(String(floor));
      this.floorValue = floor;
    }
    return this.st.prune.run(this.floorValue).changes;
  }

  /** The revision of the newest row in `changes` (0 with none). */
  newestRevision(): number {
    const row = this.db.prepare('SELECT MAX(revision) AS r FROM changes').get() as { r: number | null };
    return row.r ?? 0;
  }

  /** After a rolled-back transaction: the floor as committed. */
  reload(): void {
    this.floorValue = this.stored();
  }

  private stored(): number {
    return Number(readMeta(this.db, 'change_floor') ?? '0');
  }
}
