import { errorMessage, type Logger } from '@fsso/common';
import type { Db } from './database';
import type { IdentityTable } from './identity-table';

/** Evidence chains written per transaction (a few milliseconds of work each). */
const SLICE = 2000;

/**
 * The sweep's write of grown evidence chains, a slice per transaction with the event loop free
 * between slices: in one pass, ~50 k refreshed addresses stalled every call and every batch for
 * about a second (bench/README.md). A slice is its own transaction, so a batch committing between
 * two slices is as durable as ever; chains not yet written are written by the next slice, the
 * next sweep or the shutdown path.
 */
export class EvidenceWriter {
  private running = false;

  constructor(
    private readonly db: Db,
    private readonly table: IdentityTable,
    private readonly serving: () => boolean,
    private readonly log: Logger,
  ) {}

  /** Starts writing unless a run is still under way. */
  run(): void {
    if (this.running) return;
    this.running = true;
    this.slice();
  }

  private slice(): void {
    try {
      const left = this.db.open ? this.db.transaction(() => this.table.persistEvidence(SLICE))() : 0;
      if (left > 0 && this.serving()) return void setImmediate(() => this.slice());
    } catch (err) {
      this.log.error('sweep failed', { error: errorMessage(err) });
    }
    this.running = false;
  }
}
