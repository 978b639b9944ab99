import type { RecordSplitter } from '../format';

/**
 * Cuts a dhcpd.leases file into its top-level statements: `lease <ip> { ... }`,
 * `ia-na "<iaid+duid>" { ... iaaddr <ip> { ... on expiry { ... } } }`, and one-line statements such
 * as `server-duid "...";` or `authoring-byte-order little-endian;`.
 *
 * A statement ends at the `;` or the `}` that brings the brace depth back to zero. Braces and
 * semicolons inside quoted strings (`uid "\001\000'\"3+4"` may hold any byte) and inside `#`
 * comments do not count. Comments and blank lines between statements are consumed with the next
 * statement, so `consumed` always ends on a statement boundary.
 *
 * It works on bytes: every marker is ASCII, and UTF-8 never uses ASCII bytes inside a multibyte
 * character, so every cut lies on a character boundary.
 */
const LF = 0x0a;
const QUOTE = 0x22;
const HASH = 0x23;
const SEMI = 0x3b;
const BACKSLASH = 0x5c;
const OPEN = 0x7b;
const CLOSE = 0x7d;
/** A real lease block is under 2 KiB; one far larger without an end is damage, not a record. */
const MAX_RECORD = 1 << 20;

export class LeaseBlockSplitter implements RecordSplitter {
  private pending: Buffer = Buffer.alloc(0);
  private used = 0;
  /** Scan state, kept across chunks so no byte is looked at twice. */
  private scanned = 0;
  private start = -1;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private inComment = false;

  get consumed(): number {
    return this.used;
  }

  push(chunk: Buffer): string[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    return this.scan(false);
  }

  /** What is left is a statement the file ended inside: returned so the parser reports it. */
  end(): string[] {
    const out = this.scan(true);
    if (this.start >= 0) {
      const rest = this.pending.toString('utf8', this.start).trim();
      if (rest !== '') out.push(rest);
    }
    this.used += this.pending.length;
    this.pending = Buffer.alloc(0);
    this.reset();
    return out;
  }

  private reset(): void {
    this.scanned = 0;
    this.start = -1;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.inComment = false;
  }

  /** `final`: no more input will come, so a line start near the end can be judged as it is. */
  private scan(final: boolean): string[] {
    const out: string[] = [];
    const buf = this.pending;
    let cut = 0;
    let stop = buf.length;
    for (let i = this.scanned; i < buf.length; i++) {
      const b = buf[i] ?? 0;
      const inside = b === LF && this.start >= 0;
      if (inside && !final && buf.length - (i + 1) < LONGEST_KEYWORD) {
        // Too few bytes after this line break to tell whether a new statement starts there: wait
        // for the next chunk, so the records do not depend on how the file was cut.
        stop = i;
        break;
      }
      if (inside && startsTopLevel(buf, i + 1)) {
        // A statement torn off (a crashed writer) must not swallow the leases after it: the next
        // top-level keyword at the start of a line begins a new record, and the torn one is reported.
        out.push(buf.toString('utf8', this.start, i).trim());
        cut = i + 1;
        this.start = -1;
        this.depth = 0;
        this.inString = false;
        this.escaped = false;
        this.inComment = false;
        continue;
      }
      if (this.inComment) {
        if (b === LF) this.inComment = false;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (b === HASH) {
        this.inComment = true;
        continue;
      }
      if (this.start < 0) {
        if (b <= 0x20) continue;
        this.start = i;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === OPEN) this.depth++;
      const ends = (b === CLOSE && --this.depth <= 0) || (b === SEMI && this.depth === 0);
      if (ends) {
        out.push(buf.toString('utf8', this.start, i + 1).trim());
        cut = i + 1;
        this.start = -1;
        this.depth = 0;
      }
    }
    if (this.start >= 0 && buf.length - this.start > MAX_RECORD) {
      // Handed on whole so the parser reports it, and the scan starts afresh after it.
      out.push(buf.toString('utf8', this.start).trim());
      cut = buf.length;
      stop = buf.length;
      this.reset();
    }
    this.scanned = stop - cut;
    if (this.start >= 0) this.start -= cut;
    this.used += cut;
    this.pending = buf.subarray(cut);
    return out;
  }
}

const TOP_LEVEL = ['lease ', 'ia-na ', 'ia-ta ', 'ia-pd ', 'host ', 'server-duid ', 'failover '].map((k) =>
  Buffer.from(k, 'latin1'),
);
const LONGEST_KEYWORD = Math.max(...TOP_LEVEL.map((k) => k.length));

/** A top-level statement keyword at column 0 (inner statements are indented). */
function startsTopLevel(buf: Buffer, at: number): boolean {
  return TOP_LEVEL.some((k) => at + k.length <= buf.length && buf.compare(k, 0, k.length, at, at + k.length) === 0);
}
