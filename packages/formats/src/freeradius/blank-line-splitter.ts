import type { RecordSplitter } from '../format';

/**
 * Cuts a stream into paragraphs: records of non-blank lines separated by one or more blank
 * lines (FreeRADIUS `detail` files). `consumed` only moves past a record once the blank line
 * after it has been read, because until then more attributes of it may still come.
 */
export class BlankLineSplitter implements RecordSplitter {
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes of `pending` already scanned as whole lines (so a long record is not rescanned). */
  private scanned = 0;
  /** The scanned part of `pending` holds a non-blank line. */
  private hasContent = false;
  private used = 0;

  get consumed(): number {
    return this.used;
  }

  push(chunk: Buffer): string[] {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: string[] = [];
    let start = 0;
    let pos = this.scanned;
    for (let nl = buf.indexOf(10, pos); nl >= 0; nl = buf.indexOf(10, pos)) {
      const blank = buf.toString('utf8', pos, nl).trim() === '';
      if (blank) {
        if (this.hasContent) out.push(buf.toString('utf8', start, pos).replace(/\r?\n$/, ''));
        this.used += nl + 1 - start;
        start = nl + 1;
        this.hasContent = false;
      } else {
        this.hasContent = true;
      }
      pos = nl + 1;
    }
    this.pending = buf.subarray(start);
    this.scanned = pos - start;
    return out;
  }

  end(): string[] {
    const rest = this.pending.toString('utf8');
    this.used += this.pending.length;
    this.pending = Buffer.alloc(0);
    this.scanned = 0;
    this.hasContent = false;
    // trimEnd(), not /\s+$/: the regular expression is quadratic on whitespace followed by text.
    return rest.trim() === '' ? [] : [rest.trimEnd()];
  }
}
