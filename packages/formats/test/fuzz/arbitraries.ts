// Shared by the fuzz-*.test.ts files: generators of hostile input. Mutations are plain data (shown
// as such in a counterexample) applied by `mutate`, so a failure reads as "flip byte 12 of record 3".
import * as fc from 'fast-check';

export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'byte'; at: number; byte: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'text'; at: number; text: string }
  | { op: 'delete'; at: number; len: number }
  | { op: 'truncate'; at: number }
  | { op: 'dupSlice'; from: number; len: number; at: number }
  | { op: 'dupField'; n: number }
  | { op: 'quotes'; mode: 0 | 1 | 2 }
  | { op: 'nul'; at: number }
  | { op: 'huge'; at: number; size: number; char: string }
  | { op: 'hugeValue'; n: number; size: number };

/** A "field" of any format: an XML <Data>, a JSON "key": value, a key=value pair, a CSV column. */
const FIELD =
  /<Data\b[^>]*>[^<]*<\/Data>|"[^"\\\n]*"\s*:\s*(?:"[^"\\\n]*"|[-\w.+]+)|\b[\w-]+\s*=\s*(?:"[^"\n]*"|[^\s,;]+)|,[^,\n]*/g;
/** The value part of such a field. */
const VALUE = /(?<=>)[^<]*(?=<\/)|(?<=: ?")[^"\n]*(?=")|(?<== ?"?)[^"\s,;]+|(?<=,)[^,\n]*(?=,)/g;

const pos = fc.nat({ max: 1 << 16 });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: pos, bit: fc.nat({ max: 7 }) }),
  fc.record({ op: fc.constant('byte' as const), at: pos, byte: fc.nat({ max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: pos, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({
    op: fc.constant('text' as const),
    at: pos,
    text: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.constantFrom('\u0000', '\uFEFF', '\uD800', '\r\n', '&#0;', '&amp;', ']]>', '<!--', '\\u0000', '%s', '${x}'),
    ),
  }),
  fc.record({ op: fc.constant('delete' as const), at: pos, len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: pos }),
  fc.record({ op: fc.constant('dupSlice' as const), from: pos, len: fc.integer({ min: 1, max: 200 }), at: pos }),
  fc.record({ op: fc.constant('dupField' as const), n: fc.nat({ max: 60 }) }),
  fc.record({ op: fc.constant('quotes' as const), mode: fc.constantFrom(0 as const, 1 as const, 2 as const) }),
  fc.record({ op: fc.constant('nul' as const), at: pos }),
  // Bounded well below the splitters' 1 MiB record limit, so every property stays fast.
  fc.record({
    op: fc.constant('huge' as const),
    at: pos,
    size: fc.integer({ min: 256, max: 70_000 }),
    char: fc.constantFrom('A', '9', ' ', '.', ':', 'é', '€', '\t'),
  }),
  fc.record({
    op: fc.constant('hugeValue' as const),
    n: fc.nat({ max: 60 }),
    size: fc.integer({ min: 257, max: 70_000 }),
  }),
);

export const mutations: fc.Arbitrary<Mutation[]> = fc.array(mutation, { minLength: 1, maxLength: 4 });

function nth(text: string, re: RegExp, n: number): RegExpExecArray | undefined {
  const all = [...text.matchAll(re)];
  return all.length === 0 ? undefined : all[n % all.length];
}

function applyOne(buf: Buffer, m: Mutation): Buffer {
  const at = (x: number): number => x % (buf.length + 1);
  const splice = (i: number, del: number, ins: Buffer): Buffer =>
    Buffer.concat([buf.subarray(0, i), ins, buf.subarray(i + del)]);
  switch (m.op) {
    case 'flip':
    case 'byte': {
      if (buf.length === 0) return buf;
      const out = Buffer.from(buf);
      const i = m.at % buf.length;
      out[i] = m.op === 'flip' ? (out[i] ?? 0) ^ (1 << m.bit) : m.byte;
      return out;
    }
    case 'insert':
      return splice(at(m.at), 0, Buffer.from(m.bytes));
    case 'text':
      return splice(at(m.at), 0, Buffer.from(m.text, 'utf8'));
    case 'nul':
      return splice(at(m.at), 0, Buffer.from([0]));
    case 'delete':
      return splice(at(m.at), m.len, Buffer.alloc(0));
    case 'truncate':
      return buf.subarray(0, at(m.at));
    case 'dupSlice': {
      const from = at(m.from);
      return splice(at(m.at), 0, Buffer.from(buf.subarray(from, from + m.len)));
    }
    case 'huge':
      return splice(at(m.at), 0, Buffer.from(m.char.repeat(m.size), 'utf8'));
    case 'dupField':
    case 'hugeValue':
    case 'quotes':
      return Buffer.from(applyText(buf.toString('utf8'), m), 'utf8');
  }
}

/** The mutations that need fields or quotes, which are found in text. */
function applyText(text: string, m: Mutation & { op: 'dupField' | 'hugeValue' | 'quotes' }): string {
  if (m.op === 'quotes') {
    if (m.mode === 0) return text.replace(/"/g, "'");
    if (m.mode === 1) return text.replace(/'/g, '"');
    return text.replace(/["']/g, '');
  }
  const hit = nth(text, m.op === 'dupField' ? FIELD : VALUE, m.n);
  if (hit === undefined) return text;
  const end = hit.index + hit[0].length;
  if (m.op === 'hugeValue') return text.slice(0, hit.index) + 'x'.repeat(m.size) + text.slice(end);
  // A JSON duplicate key needs its comma; elsewhere a space keeps the copy a separate field.
  const glue = hit[0].startsWith('"') ? ',' : hit[0].startsWith(',') ? '' : ' ';
  return text.slice(0, end) + glue + hit[0] + text.slice(end);
}

export function mutate(record: string | Buffer, ms: readonly Mutation[]): Buffer {
  return ms.reduce(applyOne, Buffer.isBuffer(record) ? record : Buffer.from(record, 'utf8'));
}

/** Arbitrary text and bytes: ASCII, any code point (lone surrogates too), raw bytes, and runs of separators. */
export const garbage: fc.Arbitrary<Buffer> = fc.oneof(
  fc.string({ maxLength: 400 }).map((s) => Buffer.from(s, 'utf8')),
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s, 'utf8')),
  fc.string({ unit: 'grapheme', maxLength: 100 }).map((s) => Buffer.from(s, 'utf8')),
  fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
  fc
    .array(
      fc.constantFrom(
        '\n',
        '\r',
        '\r\n',
        '\n\n',
        '<Event>',
        '</Event>',
        '<Event ',
        '{',
        '}',
        '"',
        ';',
        '#',
        ' ',
        '\t',
        '\u0000',
        '<?xml ?>',
        'lease ',
        '{}',
        'null',
      ),
      { maxLength: 40 },
    )
    .map((parts) => Buffer.from(parts.join(''), 'utf8')),
);

/** Text soup made of a format's own tokens: reaches deeper than random bytes, which fail at once. */
export function tokenSoup(records: readonly string[]): fc.Arbitrary<Buffer> {
  const tokens = [
    ...new Set(records.flatMap((r) => r.split(/([\s=:,;"'<>[\]{}()/\\@|])/)).filter((t) => t !== '')),
  ].slice(0, 2000);
  const token = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...tokens) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  );
  return fc.array(token, { maxLength: 120 }).map((parts) => Buffer.from(parts.join(''), 'utf8'));
}

/** Odd values for a JSON field: wrong types, edge numbers, every spelling of "no address". */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    null,
    true,
    -1,
    0,
    1e308,
    -1e308,
    2 ** 53 + 1,
    '',
    '-',
    '::',
    '::1',
    '0.0.0.0',
    '999.1.1.1',
    'ipv4:1.2.3.4:5',
    'ipv6:fe80::1%eth0:445',
    '[::ffff:10.0.0.1]:443',
    '1.2.3.4%eth0',
    '10.0.0.1\u0000',
    'NaN',
    'Infinity',
    '1e400',
    '0x10',
    '2020-13-45T99:99:99Z',
    '$',
    'A$',
    '\\',
    'DOM\\',
    '@',
    'x'.repeat(300),
  ),
);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof v !== 'object' || v === null) return [at];
  const entries: [string | number, unknown][] = Array.isArray(v)
    ? (v as unknown[]).map((x, i) => [i, x])
    : Object.entries(v);
  return [at, ...entries.flatMap(([k, x]) => paths(x, [...at, k]))];
}

function setAt(v: unknown, at: readonly (string | number)[], value: unknown): unknown {
  const [head, ...rest] = at;
  if (head === undefined) return value;
  if (Array.isArray(v)) {
    const copy: unknown[] = [...(v as unknown[])];
    copy[Number(head)] = setAt(copy[Number(head)], rest, value);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
  copy[String(head)] = setAt(copy[String(head)], rest, value);
  return copy;
}

/** Real JSON records with one field (at any depth) given an odd value: type confusion, not byte noise. */
export function jsonConfusion(records: readonly string[]): fc.Arbitrary<Buffer> {
  const docs = records.flatMap((r) => {
    try {
      return [JSON.parse(r) as Json];
    } catch {
      return [];
    }
  });
  if (docs.length === 0) return fc.constant(Buffer.alloc(0));
  return fc
    .constantFrom(...docs)
    .chain((doc) => fc.tuple(fc.constant(doc), fc.constantFrom(...paths(doc)), oddValue))
    .map(([doc, at, value]) => Buffer.from(JSON.stringify(setAt(doc, at, value)) ?? 'null', 'utf8'));
}
