import type { RecordResult } from '../model';
import type { ParseOptions, SourceFormat } from '../format';
import { LeaseBlockSplitter } from './isc-leases-splitter';
import { leaseResult, macFromClientId, macFromDuid, macOf, skip, type LeaseFacts } from './lease';

/**
 * `dhcp-isc-leases`: ISC dhcpd's lease database (`/var/lib/dhcp/dhcpd.leases`, pfSense
 * `/var/dhcpd/var/db/dhcpd.leases`, `dhcpd6.leases`). dhcpd appends a lease's new state each time it
 * changes, so the file read in order is the history of every address (dhcpd.leases(5)):
 *   lease 10.0.10.72 { starts 1 2015/07/06 07:50:42; ends ...; binding state active;
 *     hardware ethernet 64:5a:04:6a:07:a2; client-hostname "Satellite-C700"; }
 *   ia-na "<IAID><DUID>" { cltt ...; iaaddr 2001:db8::60 { binding state active; ends ...; } }
 * Times are UTC (`starts 1 2015/07/06 ...`, weekday first) or `epoch <seconds>`.
 */

/** Binding states in which no client holds the address any more. */
const FREE_STATES = new Set(['free', 'released', 'expired', 'backup', 'reset']);

/** dhcpd's quoted strings: printable bytes as-is, others as `\ooo`, and `\"` / `\\`. */
export function decodeDhcpdString(text: string): Buffer {
  const parts: Buffer[] = [];
  for (const m of text.matchAll(/\\([0-7]{1,3})|\\([\s\S])|[^\\]+/g)) {
    if (m[1] !== undefined) parts.push(Buffer.from([parseInt(m[1], 8) & 0xff]));
    else parts.push(Buffer.from(m[2] ?? m[0], 'utf8'));
  }
  return Buffer.concat(parts);
}

/** The value of the first `<name> ...;` statement of a block body (lines start with the name). */
function statement(body: string, name: string): string | undefined {
  // Line by line, not one multi-line regular expression over the block: that backtracked badly on
  // long runs of whitespace without a `;` (found by the fuzz tests). Words of `name` are separated
  // by any run of blanks, as dhcpd allows.
  const words = name.split(' ');
  for (const line of body.split('\n')) {
    const t = line.trim();
    const semi = t.indexOf(';');
    if (semi < 0) continue;
    const parts = t.slice(0, semi).split(/[ \t]+/);
    if (parts.length <= words.length || !words.every((w, i) => parts[i] === w)) continue;
    return parts.slice(words.length).join(' ');
  }
  return undefined;
}

/** `4 2015/09/10 00:29:00` (UTC), `epoch 1507216949`; NaN for `never` or anything else. */
export function leaseTime(value: string | undefined): number {
  if (value === undefined) return NaN;
  const epoch = /^epoch\s+(\d+)$/.exec(value);
  if (epoch) return Number(epoch[1]) * 1000;
  const m = /^\d\s+(\d{4})\/(\d{1,2})\/(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})$/.exec(value);
  if (!m) return NaN;
  const n = (i: number): number => Number(m[i] ?? 'x');
  const t = Date.UTC(n(1), n(2) - 1, n(3), n(4), n(5), n(6));
  return new Date(t).getUTCDate() === n(3) ? t : NaN;
}

function firstFinite(...values: number[]): number {
  return values.find((v) => Number.isFinite(v)) ?? NaN;
}

/** The text between the `{` at `open` and its matching `}` (quoted strings skipped). */
function blockBody(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(open + 1, i);
  }
  return text.slice(open + 1);
}

/** What a binding state means for the address, or why it means nothing. */
function stateKind(state: string | undefined): { kind: LeaseFacts['kind'] } | { reason: string } {
  if (state === 'active') return { kind: 'HOST_ADDRESS' };
  if (state !== undefined && FREE_STATES.has(state)) return { kind: 'HOST_RELEASED' };
  // An abandoned address answered a ping before it was offered: a host uses it without a lease,
  // and that host's logon must stay.
  if (state === 'abandoned') return { reason: 'abandoned lease: another host answers at this address' };
  return {
    reason: state === undefined ? 'lease without binding state' : `binding state ${state} is not a grant or release`,
  };
}

function v4Lease(record: string, options: ParseOptions): RecordResult {
  const head = /^lease\s+(\S+)\s*\{/.exec(record);
  if (!head) return skip('malformed lease block');
  const body = blockBody(record, head[0].length - 1);
  const state = statement(body, 'binding state');
  const meaning = stateKind(state);
  if ('reason' in meaning) return skip(meaning.reason);
  const kind = meaning.kind;
  const host = /^\s*client-hostname\s+"((?:[^"\\]|\\.)*)"\s*;/m.exec(body)?.[1];
  const uid = /^\s*uid\s+"((?:[^"\\]|\\.)*)"\s*;/m.exec(body)?.[1];
  const starts = leaseTime(statement(body, 'starts'));
  const facts: LeaseFacts = {
    kind,
    ip: head[1] ?? '',
    mac:
      macOf(statement(body, 'hardware ethernet')) || (uid === undefined ? '' : macFromClientId(decodeDhcpdString(uid))),
    hostName: host === undefined ? '' : decodeDhcpdString(host).toString('utf8'),
    // A grant counts from `starts` (dhcpd moves it on every renewal); a free lease ended at `ends`.
    timeMs:
      kind === 'HOST_ADDRESS'
        ? firstFinite(starts, leaseTime(statement(body, 'cltt')))
        : firstFinite(leaseTime(statement(body, 'ends')), starts),
    code: state ?? '',
    reporter: '',
  };
  return leaseResult(facts, options);
}

/** `ia-na` / `ia-ta`: one event per `iaaddr`; the client is known only by the DUID in the IA id. */
function v6Lease(record: string, options: ParseOptions): RecordResult {
  const head = /^ia-[nt]a\s+"((?:[^"\\]|\\.)*)"\s*\{/.exec(record);
  if (!head) return skip('malformed ia-na block');
  const mac = macFromDuid(decodeDhcpdString(head[1] ?? '').subarray(4));
  const cltt = leaseTime(statement(record, 'cltt'));
  const results: RecordResult[] = [];
  for (const addr of record.matchAll(/\biaaddr\s+(\S+)\s*\{/g)) {
    const body = blockBody(record, (addr.index ?? 0) + addr[0].length - 1);
    const state = statement(body, 'binding state');
    const meaning = stateKind(state);
    if ('reason' in meaning) {
      results.push(skip(meaning.reason));
      continue;
    }
    const kind = meaning.kind;
    const ends = leaseTime(statement(body, 'ends'));
    const timeMs = kind === 'HOST_ADDRESS' ? cltt : firstFinite(ends, cltt);
    results.push(
      leaseResult({ kind, ip: addr[1] ?? '', mac, hostName: '', timeMs, code: state ?? '', reporter: '' }, options),
    );
  }
  const events = results.flatMap((r) => r.events);
  return events.length > 0 ? { events } : skip(results[0]?.skipped ?? 'ia-na without iaaddr');
}

/** Quoted strings (any byte, `\"` escaped) and `#` comments, in one pass so neither hides the other. */
const STRING_OR_COMMENT = /"(?:[^"\\]|\\[\s\S])*"|#[^\n]*/g;

/** True when the braces outside strings and comments do not pair up: a block cut short. */
function unbalanced(text: string): boolean {
  const bare = text.replace(STRING_OR_COMMENT, '');
  return (bare.match(/\{/g)?.length ?? 0) !== (bare.match(/\}/g)?.length ?? 0);
}

/** One top-level statement of a dhcpd.leases file. */
export function parseLeaseStatement(record: string, options: ParseOptions = {}): RecordResult {
  // Comments go first: `starts epoch 1507216949; # Thu Oct 05 ...` must not reach the values.
  const text = record
    .replace(/^\uFEFF/, '')
    .replace(STRING_OR_COMMENT, (m) => (m.startsWith('#') ? '' : m))
    .trim();
  if (!/[;}]$/.test(text) || unbalanced(text)) return skip('incomplete statement (the file ends inside it)');
  const keyword = /^[\w-]+/.exec(text)?.[0] ?? '';
  switch (keyword) {
    case 'lease':
      return v4Lease(text, options);
    case 'ia-na':
    case 'ia-ta':
      return v6Lease(text, options);
    case 'ia-pd':
      return skip('ia-pd is a delegated prefix, not a host address');
    case 'server-duid':
    case 'authoring-byte-order':
    case 'failover':
    case 'host':
    case 'class':
    case 'subclass':
    case 'group':
      // `host` entries are reservations written by OMAPI, not evidence that the host is there.
      return skip(`dhcpd.leases ${keyword} statement is not a lease`);
    default:
      return skip('not a dhcpd.leases statement');
  }
}

export const dhcpIscLeasesFormat: SourceFormat = {
  name: 'dhcp-isc-leases',
  description: 'ISC dhcpd lease database dhcpd.leases / dhcpd6.leases (lease and ia-na blocks)',
  createSplitter: () => new LeaseBlockSplitter(),
  createParser(options: ParseOptions = {}) {
    return (record: string): RecordResult => parseLeaseStatement(record, options);
  },
};
