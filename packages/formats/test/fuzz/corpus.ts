// Shared by the fuzz-*.test.ts files: the real records of every format, how to feed bytes through a
// format exactly as the file follower does, and what a well-formed event looks like. A plain
// module; its own checks are in fuzz-fixtures.test.ts.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EVENT_KINDS, normaliseIp } from '@fsso/common';
import type { AgentEvent, RecordResult } from '../../src/model';
import type { SourceFormat } from '../../src/format';
import { getFormat } from '../../src/registry';

/** Every property runs with this seed and count, so a failure replays exactly. */
export const FC = { seed: 20261123, numRuns: 200 } as const;

/** dist/test/fuzz/corpus.js -> ../shared/data beside the checkout; FSSO_SHARED_DATA when it lives elsewhere. */
function dataDir(): string {
  const computed = path.resolve(__dirname, '../../../../../../shared/data');
  for (const dir of [process.env['FSSO_SHARED_DATA'] ?? '', computed]) {
    if (dir !== '' && fs.existsSync(path.join(dir, 'windows_security'))) return dir;
  }
  throw new Error(`recorded data not found at ${computed}; set FSSO_SHARED_DATA`);
}

/** Where each format's real records live: [folder under shared/data, file-name ending]. */
const FILES: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  'windows-xml': [
    ['windows_security/xml_rendered_libevtx', '.xml'],
    ['windows_security/misc', '.xml'],
  ],
  'windows-json': [['windows_security/otrf', '.ndjson']],
  'samba-audit': [
    ['samba_auth_audit/lab', '.jsonl'],
    ['samba_auth_audit', '.jsonl'],
  ],
  'dhcp-windows': [['dhcp/windows_dhcpsrvlog', '.log']],
  'dhcp-isc': [['dhcp/isc_dhcpd_syslog', '.log']],
  'dhcp-isc-leases': [['dhcp/isc_dhcpd_leases', '.leases']],
  'dhcp-kea': [
    ['dhcp/kea', '.csv'],
    ['dhcp/kea', '.log'],
  ],
  syslog: [['radius_vpn_wireless', '.log']],
  'freeradius-detail': [['radius_vpn_wireless', '.txt']],
};

/** What stands between two records when they are written as one stream. */
export function separator(name: string): string {
  return name === 'windows-xml' || name === 'freeradius-detail' ? '\n\n' : '\n';
}

/** Formats whose parser remembers earlier records (CSV headers, Samba's kinit-retry collapse). */
export const STATEFUL: ReadonlySet<string> = new Set(['samba-audit', 'dhcp-windows', 'dhcp-kea']);

export function formatOf(name: string): SourceFormat {
  const f = getFormat(name);
  if (f === undefined) throw new Error(`no format ${name}`);
  return f;
}

export interface Fed {
  records: string[];
  results: RecordResult[];
  consumed: number;
}

/** Feeds bytes through a fresh splitter and parser, cut into chunks at `cuts` (any order, any value). */
export function feed(f: SourceFormat, input: Buffer, cuts: readonly number[] = []): Fed {
  const splitter = f.createSplitter();
  const parse = f.createParser();
  const records: string[] = [];
  let from = 0;
  for (const at of [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b)) {
    records.push(...splitter.push(input.subarray(from, at)));
    from = at;
  }
  records.push(...splitter.push(input.subarray(from)));
  records.push(...splitter.end());
  return { records, results: records.map(parse), consumed: splitter.consumed };
}

/**
 * Runs `fn` with Date.now() frozen. Records without a time of their own (a PAN-OS line with no
 * syslog header) are stamped with the read time; comparing two reads needs one clock.
 */
export function atFixedNow<T>(fn: () => T): T {
  const real = Date.now;
  const frozen = real();
  Date.now = () => frozen;
  try {
    return fn();
  } finally {
    Date.now = real;
  }
}

/** Up to `n` items spread evenly over `items`, so every file of a format gets a say. */
function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)] as T);
}

export interface Corpus {
  /** Real records, whatever they parse to. */
  records: string[];
  /** Real records that produce at least one event alone. */
  good: string[];
}

const cache = new Map<string, Corpus>();

export function corpus(name: string): Corpus {
  const hit = cache.get(name);
  if (hit) return hit;
  const f = formatOf(name);
  let all: string[];
  if (name === 'events') {
    // The agent's own output is the real data of this format: what `parse` prints for real records.
    const sources = ['windows-xml', 'samba-audit', 'dhcp-windows', 'syslog'].flatMap((n) =>
      corpus(n).good.map((r) => [n, r] as const),
    );
    all = sources.flatMap(([n, r]) =>
      formatOf(n)
        .createParser()(r)
        .events.map((e) => JSON.stringify(e)),
    );
  } else {
    const dir = dataDir();
    all = (FILES[name] ?? []).flatMap(([sub, ext]) =>
      fs
        .readdirSync(path.join(dir, sub))
        .filter((file) => file.endsWith(ext))
        .sort()
        .flatMap((file) => feed(f, fs.readFileSync(path.join(dir, sub, file))).records),
    );
  }
  const candidates = spread(all, 400);
  const good = candidates.filter((r) => f.createParser()(r).events.length > 0);
  const c = { records: spread(candidates, 60), good: spread(good, 40) };
  cache.set(name, c);
  return c;
}

const TEXT_FIELDS = ['user', 'domain', 'ip', 'workstation', 'mac', 'source', 'sourceEventId', 'reporter'] as const;

/**
 * Why an event is not well-formed, or undefined. No text field may be longer than three times the
 * input (case mapping may lengthen text, as 'ß' -> 'SS'; anything more is amplification).
 */
export function shapeProblem(e: AgentEvent, inputLength: number): string | undefined {
  if (!(EVENT_KINDS as readonly unknown[]).includes(e.kind))
    return `kind ${JSON.stringify(e.kind)} is not one of the six`;
  for (const field of TEXT_FIELDS) {
    const v: unknown = e[field];
    if (typeof v !== 'string') return `${field} is a ${typeof v}, not a string`;
    if (v.length > 3 * inputLength + 32) return `${field} is ${v.length} characters from ${inputLength} of input`;
  }
  if (e.ip !== '' && normaliseIp(e.ip) !== e.ip) return `ip ${JSON.stringify(e.ip.slice(0, 80))} is not canonical`;
  if (!Number.isFinite(e.eventTimeMs)) return `eventTimeMs ${String(e.eventTimeMs)} is not finite`;
  if (!Number.isInteger(e.logonType) || e.logonType < 0)
    return `logonType ${String(e.logonType)} is not a non-negative integer`;
  return undefined;
}

/** Runs `fn`; a throw becomes a problem text, as does any malformed event of what it returns. */
export function problemOf(fn: () => Fed | RecordResult, inputLength: number): string | undefined {
  let out: Fed | RecordResult;
  try {
    out = fn();
  } catch (err: unknown) {
    return `threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
  }
  const results = 'results' in out ? out.results : [out];
  for (const e of results.flatMap((r) => r.events)) {
    const p = shapeProblem(e, inputLength);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** Fails with the problem, if there is one, showing the start of the input. */
export function assertSound(format: string, problem: string | undefined, input: string | Buffer): void {
  if (problem === undefined) return;
  const shown = (Buffer.isBuffer(input) ? input.toString('latin1') : input).slice(0, 300);
  assert.fail(`${format}: ${problem}\ninput (${input.length}): ${JSON.stringify(shown)}`);
}
