import type { RecordSplitter } from '../format';

/**
 * Cuts a stream of `<Event>` elements (wevtutil, Get-WinEvent ToXml(), evtxexport) into one string
 * per element. The stream has no root element; records may be back-to-back or separated by blank
 * lines, and an `<?xml?>` header or an `<Events>` wrapper may surround them.
 *
 * It works on bytes: the markers are ASCII and UTF-8 never uses ASCII bytes inside a multibyte
 * character, so every cut lies on a character boundary and `consumed` counts real file bytes.
 * `<Event>` elements do not nest, so the first `</Event>` after a start ends the record.
 */
const OPEN = Buffer.from('<Event', 'latin1');
const CLOSE = Buffer.from('</Event', 'latin1');
/** Windows caps one event at 64 KiB; anything far larger without an end is not a record. */
const MAX_RECORD = 1 << 20;
/** What may stand between records without being reported: space, BOM, header, wrapper, comments. */
const FILLER = /<\?xml[\s\S]*?\?>|<\/?Events(?:\s[^>]*)?\/?>|<!--[\s\S]*?-->|\uFEFF/g;

export class XmlEventSplitter implements RecordSplitter {
  private pending: Buffer = Buffer.alloc(0);
  private used = 0;

  get consumed(): number {
    return this.used;
  }

  push(chunk: Buffer): string[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    return this.drain();
  }

  /** Anything left is an unfinished record or stray text: returned so the parser reports it. */
  end(): string[] {
    const out = this.drain();
    const rest = this.pending.toString('utf8');
    this.used += this.pending.length;
    this.pending = Buffer.alloc(0);
    if (!isFiller(rest)) out.push(rest.trim());
    return out;
  }

  private drain(): string[] {
    const out: string[] = [];
    // Once a search found no closing tag in the rest of the buffer, later records in this pass
    // need not search again: without this, many unclosed `<Event` openers cost quadratic time.
    let noCloseInRest = false;
    for (;;) {
      const buf = this.pending;
      const start = findOpen(buf, 0);
      if (start < 0) {
        // Keep a tail that may be the beginning of "<Event"; report the rest if it is not filler.
        if (buf.length > MAX_RECORD) this.take(0, buf.length - OPEN.length, out, true);
        break;
      }
      if (!isFiller(buf.toString('utf8', 0, start))) {
        this.take(0, start, out, false);
        continue;
      }
      // Filler before a record is consumed with the record, so `consumed` always ends a record.
      const close = noCloseInRest ? NO_CLOSE : findClose(buf, start + OPEN.length);
      if (close.at < 0) noCloseInRest = true;
      const next = findOpen(buf, start + OPEN.length);
      if (next >= 0 && (close.at < 0 || next < close.at)) {
        // A record cut short (truncated file, crashed writer): hand it on to be reported.
        this.take(start, next, out, false);
        continue;
      }
      if (close.at < 0) {
        if (buf.length - start > MAX_RECORD) this.take(start, buf.length, out, false);
        break;
      }
      this.take(start, close.end, out, false);
    }
    return out;
  }

  /** Consumes the bytes before `to`; those from `from` on are returned unless they are only filler. */
  private take(from: number, to: number, out: string[], fillerOk: boolean): void {
    const text = this.pending.toString('utf8', from, to);
    this.pending = this.pending.subarray(to);
    this.used += to;
    if (!fillerOk || !isFiller(text)) out.push(text.trim());
  }
}

function isFiller(text: string): boolean {
  return text.replace(FILLER, '').trim() === '';
}

/** Start of an `<Event` tag (not `<EventData`, `<EventID`, `<Events`), or -1 / not yet decidable. */
function findOpen(buf: Buffer, from: number): number {
  for (let i = buf.indexOf(OPEN, from); i >= 0; i = buf.indexOf(OPEN, i + 1)) {
    const after = buf[i + OPEN.length];
    if (after === undefined) return -1;
    if (isSpace(after) || after === 0x3e /* > */ || after === 0x2f /* / */) return i;
  }
  return -1;
}

const NO_CLOSE = { at: -1, end: -1 } as const;

/** Position of the `</Event>` that ends a record, and the offset just past its `>`. */
function findClose(buf: Buffer, from: number): { at: number; end: number } {
  for (let i = buf.indexOf(CLOSE, from); i >= 0; i = buf.indexOf(CLOSE, i + 1)) {
    let j = i + CLOSE.length;
    while (j < buf.length && isSpace(buf[j] ?? 0)) j++;
    if (j >= buf.length) return { at: -1, end: -1 };
    if (buf[j] === 0x3e) return { at: i, end: j + 1 };
  }
  return { at: -1, end: -1 };
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}
