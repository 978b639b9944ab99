import type { RecordResult } from './model';
import type { SelfTrafficOptions } from './self-traffic';

/**
 * Cuts a byte stream into whole records. `push` returns the records completed by the chunk;
 * `consumed` is how many bytes of the stream those records (and what lay between them) used, so a
 * follower can save a position that never splits a record.
 */
export interface RecordSplitter {
  push(chunk: Buffer): string[];
  /** At end of input: whatever is left that is a complete record (a last line without newline). */
  end(): string[];
  readonly consumed: number;
}

export interface ParseOptions extends SelfTrafficOptions {
  /** Domain to use when a record names none (e.g. 4771). '' to leave it empty. */
  defaultDomain?: string;
}

/** A reader for one kind of log: how to split it into records and how to turn a record into events. */
export interface SourceFormat {
  readonly name: string;
  readonly description: string;
  createSplitter(): RecordSplitter;
  /** A parser may keep state between records (duplicate collapse, CSV headers). */
  createParser(options?: ParseOptions): (record: string) => RecordResult;
}

/** Splits on '\n' (dropping '\r'); for every line-oriented source. */
export class LineSplitter implements RecordSplitter {
  private pending: Buffer = Buffer.alloc(0);
  private used = 0;
  get consumed(): number {
    return this.used;
  }
  push(chunk: Buffer): string[] {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: string[] = [];
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      const line = buf.toString('utf8', start, nl).replace(/\r$/, '');
      this.used += nl + 1 - start;
      start = nl + 1;
      if (line.trim() !== '') out.push(line);
    }
    this.pending = buf.subarray(start);
    return out;
  }
  end(): string[] {
    const rest = this.pending.toString('utf8').replace(/\r$/, '');
    this.used += this.pending.length;
    this.pending = Buffer.alloc(0);
    return rest.trim() === '' ? [] : [rest];
  }
}
