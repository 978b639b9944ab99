import { errorMessage, type Logger } from '@fsso/common';

/**
 * Whether the last write to the database worked. A full disk (or a read-only remount) makes
 * every batch fail until space returns; this turns that into one error line when writes start
 * failing and one info line when they work again, not a line per retried batch, and gives the
 * sentence agents receive.
 */
export class StorageHealth {
  private failingSince: number | undefined;
  private failures = 0;

  constructor(
    private readonly database: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get failing(): boolean {
    return this.failingSince !== undefined;
  }

  /** A write failed: the sentence for the agent (and the log, the first time). */
  failed(err: unknown): string {
    const why = describeWriteFailure(err, this.database);
    this.failures++;
    if (this.failingSince === undefined) {
      this.failingSince = this.now();
      this.log.error('ingest paused: the database cannot be written; agents keep their events and resend', {
        database: this.database,
        reason: why,
      });
    }
    return why;
  }

  /** A write worked: logs the recovery if writes were failing. */
  succeeded(): void {
    if (this.failingSince === undefined) return;
    this.log.info('ingest resumed: the database can be written again', {
      database: this.database,
      pausedMs: this.now() - this.failingSince,
      refusedBatches: this.failures,
    });
    this.failingSince = undefined;
    this.failures = 0;
  }
}

/** A failed write in words with the fix; SQLITE_FULL is the usual one. */
export function describeWriteFailure(err: unknown, database: string): string {
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  if (code === 'SQLITE_FULL')
    return `the disk under the database ${database} is full; free space there (ingest resumes by itself)`;
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_IOERR_WRITE' || code.startsWith('SQLITE_IOERR'))
    return `the database ${database} cannot be written (${code}: ${errorMessage(err)}); check the disk and its mount`;
  return `the database ${database} refused the write (${code || 'error'}: ${errorMessage(err)})`;
}
