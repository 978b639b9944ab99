import { isIP } from 'node:net';

/**
 * Turns an address as a source writes it into the canonical form the table is keyed by, or `null`
 * when it names no client. Sources write the same address many ways:
 * Windows `::ffff:10.0.0.12` (IPv4-mapped), `-` (none), Samba `ipv4:10.0.0.12:34753` or
 * `ipv6:fe80::1:445`, syslog `[2001:db8::1]:443`, and upper-case or uncompressed IPv6.
 *
 * Loopback, unspecified (`0.0.0.0`, `::`) and link-local zone suffixes are handled so that two
 * spellings of one address always give one key.
 */
export function normaliseIp(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  // Fast path for the common case, a plain dotted quad without leading zeros: it is already
  // canonical. A character loop, not a regex: a firewall's miss path runs this per connection.
  if (isPlainV4(raw)) return isUsableV4(raw) ? raw : null;
  let s = raw.trim();
  if (s === '' || s === '-' || s === '::' || s === '0.0.0.0') return null;

  // Samba: "ipv4:a.b.c.d:port", "ipv6:addr:port".
  const samba = /^ipv([46]):(.*)$/i.exec(s);
  if (samba) {
    const body = samba[2] ?? '';
    s = samba[1] === '4' ? body.replace(/:\d+$/, '') : stripV6Port(body);
  }
  // "[v6]:port" or "[v6]".
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracket) s = bracket[1] ?? '';
  // "a.b.c.d:port".
  if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(s)) s = s.replace(/:\d+$/, '');
  // Zone ids ("fe80::1%eth0") are local to the reporting host; they do not name another client.
  s = s.replace(/%.*$/, '');

  const family = isIP(s);
  if (family === 4) return isUsableV4(s) ? stripV4Zeros(s) : null;
  if (family !== 6) return null;

  const canonical = canonicalV6(s);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(canonical);
  if (mapped) return isUsableV4(mapped[1] ?? '') ? (mapped[1] ?? null) : null;
  const mappedHex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mappedHex) {
    const hi = parseInt(mappedHex[1] ?? '0', 16);
    const lo = parseInt(mappedHex[2] ?? '0', 16);
    const v4 = `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
    return isUsableV4(v4) ? v4 : null;
  }
  if (canonical === '::1' || canonical === '::') return null;
  return canonical;
}

/** "a.b.c.d", each 0-255 without leading zeros: the canonical form, with no allocation. */
function isPlainV4(s: string): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let dots = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return false;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false; // a leading zero
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
    } else return false;
  }
  return dots === 3 && digits > 0;
}

/** "ipv6:" bodies from Samba end in ":port"; only strip it when what is left is still an address. */
function stripV6Port(body: string): string {
  if (isIP(body) === 6 && !/:\d{1,5}$/.test(body)) return body;
  const cut = body.replace(/:\d{1,5}$/, '');
  return isIP(cut) === 6 ? cut : body;
}

function isUsableV4(s: string): boolean {
  return !s.startsWith('127.') && s !== '0.0.0.0' && s !== '255.255.255.255';
}

function stripV4Zeros(s: string): string {
  return s
    .split('.')
    .map((o) => String(Number(o)))
    .join('.');
}

/** RFC 5952 text form, by asking the WHATWG URL parser (it canonicalises IPv6 hosts). */
function canonicalV6(s: string): string {
  const host = new URL(`http://[${s}]/`).hostname;
  return host.slice(1, -1);
}

/** An address range such as `10.1.0.0/16` or `2001:db8::/32`. */
export interface Network {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly prefix: number;
  readonly text: string;
}

export function parseNetwork(text: string): Network | null {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!m) return null;
  const addr = m[1] ?? '';
  const family = isIP(addr);
  if (family !== 4 && family !== 6) return null;
  const bits = family === 4 ? 32 : 128;
  const prefix = m[2] === undefined ? bits : Number(m[2]);
  if (prefix > bits) return null;
  const value = toBigInt(family === 6 ? canonicalV6(addr) : addr, family);
  const mask = prefix === 0 ? 0n : ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  return { family, base: value & mask, prefix, text: `${addr}/${prefix}` };
}

export function networkContains(net: Network, ip: string): boolean {
  const family = isIP(ip);
  if (family !== net.family) return false;
  const bits = family === 4 ? 32 : 128;
  const shift = BigInt(bits - net.prefix);
  return toBigInt(ip, family) >> shift === net.base >> shift;
}

function toBigInt(ip: string, family: 4 | 6): bigint {
  if (family === 4) return ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  const [head = '', tail = ''] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const parse = (part: string): string[] => (part === '' ? [] : part.split(':'));
  let h = parse(head);
  let t = parse(tail);
  // An embedded IPv4 tail ("::ffff:1.2.3.4") counts as two groups.
  const expand = (groups: string[]): string[] =>
    groups.flatMap((g) => {
      if (!g.includes('.')) return [g];
      const o = g.split('.').map(Number);
      return [(((o[0] ?? 0) << 8) | (o[1] ?? 0)).toString(16), (((o[2] ?? 0) << 8) | (o[3] ?? 0)).toString(16)];
    });
  h = expand(h);
  t = expand(t);
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}
