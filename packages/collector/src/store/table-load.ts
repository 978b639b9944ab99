import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '@fsso/common';
import type { TableLoad } from '../server/until-loaded';
import type { IdentityTable } from './identity-table';

/** A long load logs its progress this often. */
const PROGRESS_EVERY_MS = 2000;

/**
 * Loads a table opened with `deferLoad` a page at a time, giving the event loop a turn between
 * pages, so Lookups are answered (from SQLite, `IdentityTable.find`) while a large table loads.
 * `first()` loads the first page before the collector listens: a table of one page is loaded
 * before any call, as it always was.
 */
export class TableLoader implements TableLoad {
  private readonly steps: Generator<number, number>;
  private finished = false;
  private settle: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  readonly settled: Promise<void>;
  private readonly t0 = Date.now();
  private rows = 0;

  constructor(
    private readonly table: IdentityTable,
    private readonly log: Logger,
    private readonly stopping: () => boolean,
  ) {
    this.steps = table.loadSteps();
    this.settled = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    // Held calls handle a failed load themselves; the start-up reports it through rest().
    this.settled.catch(() => undefined);
  }

  done(): boolean {
    return this.finished;
  }

  progress(): number {
    return this.rows;
  }

  /** The first page, synchronously (a table of one page is then loaded). */
  first(): void {
    if (this.step()) this.settle?.resolve();
  }

  /** The rest of the table, a page per turn of the event loop. */
  async rest(): Promise<void> {
    const deferred = !this.finished;
    let told = Date.now();
    try {
      while (!this.finished) {
        await nextTurn();
        if (this.stopping()) throw new Error('the collector was stopped while loading its table');
        this.step();
        // Long work shows progress.
        if (Date.now() - told >= PROGRESS_EVERY_MS && !this.finished) {
          told = Date.now();
          this.log.info('loading identity table', { logons: this.rows, ms: told - this.t0 });
        }
      }
      if (deferred) this.log.info('identity table loaded', { logons: this.table.count(), ms: Date.now() - this.t0 });
      this.settle?.resolve();
    } catch (err) {
      this.settle?.reject(err);
      throw err;
    }
  }

  private step(): boolean {
    if (this.finished) return true;
    const r = this.steps.next();
    this.rows = r.value;
    if (r.done === true) this.finished = true;
    return this.finished;
  }
}
