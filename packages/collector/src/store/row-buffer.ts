import type { Statement } from 'better-sqlite3';
import type { Db } from './database';

/** Rows per multi-row statement: 64 rows of 17 columns stay far below SQLite's 32 766 parameters. */
const CHUNK = 64;

/**
 * Rows collected during a transaction and written at its end with multi-row statements (one
 * statement per 64 rows instead of one per row): per-statement overhead, not SQLite's own work,
 * was most of the cost of the per-event inserts (bench/README.md, "ingest"). `flush()` must run
 * inside the same transaction, so the rows commit (or roll back) with the rest of the batch.
 *
 * `sql(n)` gives the statement for n rows; its parameters are the rows' values in order.
 */
export class RowBuffer {
  /**
   * The values of the rows collected, from 0 to `used`. Never shortened: `length = 0` gave the
   * array's storage back, and growing it again to 64 rows was a few hundred bytes of garbage per
   * row (bench/README.md, "ingest, fourth round").
   */
  private readonly values: unknown[] = [];
  private used = 0;
  private rows = 0;
  private readonly full: Statement;
  private readonly partial = new Map<number, Statement>();

  constructor(
    private readonly db: Db,
    private readonly sql: (rows: number) => string,
  ) {
    this.full = db.prepare(sql(CHUNK));
  }

  push(...row: unknown[]): void {
    for (let i = 0; i < row.length; i++) this.values[this.used++] = row[i];
    this.endRow();
  }

  /**
   * One value of the row being collected; `endRow()` closes it. For the hot rows: `push(...row)`
   * built an array per row (17 values for a `logons` row) only to copy it here.
   */
  put(v: unknown): void {
    this.values[this.used++] = v;
  }

  endRow(): void {
    if (++this.rows === CHUNK) this.flush();
  }

  get size(): number {
    return this.rows;
  }

  flush(): void {
    if (this.rows === 0) return;
    const st = this.rows === CHUNK ? this.full : this.statement(this.rows);
    st.run(this.used === this.values.length ? this.values : this.values.slice(0, this.used));
    this.used = 0;
    this.rows = 0;
  }

  /** Forgets rows not yet written (their transaction rolled back). */
  discard(): void {
    this.used = 0;
    this.rows = 0;
  }

  private statement(rows: number): Statement {
    let st = this.partial.get(rows);
    if (!st) this.partial.set(rows, (st = this.db.prepare(this.sql(rows))));
    return st;
  }
}

/** "(?, ?, ?), (?, ?, ?)" for `rows` rows of `columns` values. */
export function placeholders(rows: number, columns: number): string {
  const one = `(${new Array<string>(columns).fill('?').join(', ')})`;
  return new Array<string>(rows).fill(one).join(', ');
}
