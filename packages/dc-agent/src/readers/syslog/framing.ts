/** What a chunk of a TCP syslog stream held: whole messages, and whether the peer broke the rules. */
export interface FrameOutput {
  messages: string[];
  /** Set when the stream cannot go on: the connection is to be closed. */
  error?: 'oversized' | 'garbage';
}

// RFC 6587 octet counting: MSG-LEN (no leading zero) SP. Ten digits is more than any cap.
const MAX_LEN_DIGITS = 10;

/**
 * Splits a TCP syslog stream into messages. Each frame is either octet-counted (`LEN SP MSG`,
 * RFC 6587 3.4.1) or non-transparent (`MSG LF`, 3.4.2); the first byte tells which (a syslog
 * message itself starts with `<`, a letter, or a digit followed by something other than digits
 * and a space), so a sender may mix them. Memory per connection is bounded by `maxBytes`.
 */
export class SyslogFrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): FrameOutput {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const messages: string[] = [];
    for (;;) {
      const frame = this.next();
      if (frame === null) break;
      if (typeof frame !== 'string') {
        this.buf = Buffer.alloc(0);
        return { messages, error: frame.error };
      }
      if (frame.trim() !== '') messages.push(frame);
    }
    return { messages };
  }

  /** The next whole frame, null when more bytes are needed, or the reason to give up. */
  private next(): string | null | { error: 'oversized' | 'garbage' } {
    const b = this.buf;
    if (b.length === 0) return null;
    const counted = this.octetCount();
    if (counted === 'wait') return null;
    let body: Buffer;
    if (counted !== null) {
      if (counted.len > this.maxBytes) return { error: 'oversized' };
      if (b.length < counted.start + counted.len) return null;
      body = b.subarray(counted.start, counted.start + counted.len);
      this.buf = b.subarray(counted.start + counted.len);
    } else {
      const nl = b.indexOf(10);
      if (nl < 0) return b.length > this.maxBytes ? { error: 'oversized' } : null;
      if (nl > this.maxBytes) return { error: 'oversized' };
      body = b.subarray(0, nl);
      this.buf = b.subarray(nl + 1);
    }
    if (isBinary(body)) return { error: 'garbage' };
    return body.toString('utf8').replace(/\r$/, '');
  }

  /** `{len, start}` for an octet-counted frame, null for a non-transparent one, 'wait' if unsure. */
  private octetCount(): { len: number; start: number } | null | 'wait' {
    const b = this.buf;
    const first = b[0] ?? 0;
    if (first < 0x31 || first > 0x39) return null;
    let i = 1;
    while (i < b.length && i <= MAX_LEN_DIGITS && (b[i] ?? 0) >= 0x30 && (b[i] ?? 0) <= 0x39) i++;
    if (i === b.length) return i <= MAX_LEN_DIGITS ? 'wait' : null;
    if (b[i] !== 0x20) return null;
    return { len: Number(b.toString('latin1', 0, i)), start: i + 1 };
  }
}

/**
 * Control bytes other than TAB, CR and LF never occur in syslog text (senders escape them as
 * `#011`); a stream full of them is TLS sent to a plaintext port, or noise.
 */
export function isBinary(b: Buffer): boolean {
  for (const c of b) {
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return true;
  }
  return false;
}
