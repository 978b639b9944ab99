import { normaliseIp, normaliseMac, type KnownEventKind } from '@fsso/common';
import type { RecordResult } from '../model';
import { accountEvent, skip } from '../event';
import type { ParseOptions, SourceFormat } from '../format';
import { BlankLineSplitter } from './blank-line-splitter';
import { readAccount } from '../syslog/fields';
import { parseDetailHeader, parseEventTimestamp } from './time';

export const RADIUS_SOURCE = 'radius';

/** One record of a FreeRADIUS `detail` file: the date line and the attributes under it. */
export interface DetailRecord {
  /** The opening date line, in the server's local time; null when the record has none. */
  headerTimeMs: number | null;
  /** Attribute name (lower-case) to value, quotes removed; the first of repeated ones. */
  attrs: Map<string, string>;
}

// `\tUser-Name = "bob"`; comparisons (`==`) in test vectors are not attributes.
const ATTRIBUTE = /^\s*([A-Za-z0-9][\w.:-]*)\s+=\s+(.*)$/;

/** Reads one record; also accepts the untabbed `Attr = value` lists of FreeRADIUS's test suite. */
export function readDetailRecord(text: string): DetailRecord | string {
  let headerTimeMs: number | null = null;
  const attrs = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const a = ATTRIBUTE.exec(line);
    if (a) {
      const name = (a[1] ?? '').toLowerCase();
      if (!attrs.has(name)) attrs.set(name, unquote(a[2] ?? ''));
    } else if (headerTimeMs === null && attrs.size === 0) {
      headerTimeMs = parseDetailHeader(line);
    }
  }
  return attrs.size === 0 ? 'not a FreeRADIUS detail record (no attributes)' : { headerTimeMs, attrs };
}

const STATUS: Readonly<Record<string, KnownEventKind>> = {
  start: 'USER_LOGON',
  'interim-update': 'USER_ACTIVITY',
  alive: 'USER_ACTIVITY',
  stop: 'USER_LOGOFF',
  // Numbers when the server lacked the dictionary (RFC 2866 5.1).
  '1': 'USER_LOGON',
  '3': 'USER_ACTIVITY',
  '2': 'USER_LOGOFF',
};

/** Accounting Start/Interim-Update/Stop with a user and a Framed-IP-Address is logon evidence. */
export function mapDetailRecord(r: DetailRecord, opts: ParseOptions = {}, nowMs: number = Date.now()): RecordResult {
  const attr = (name: string): string => r.attrs.get(name) ?? '';
  const status = attr('acct-status-type');
  if (status === '') return skip('no Acct-Status-Type (not an accounting record)');
  const kind = STATUS[status.toLowerCase()];
  if (kind === undefined) return skip(`Acct-Status-Type ${status} is not a session event`);
  const rawIp = attr('framed-ip-address') || attr('framed-ipv6-address');
  const ip = normaliseIp(rawIp);
  if (ip === null) return skip(`no usable Framed-IP-Address (${rawIp || 'none'})`);
  const account = readAccount(attr('user-name'));
  if (typeof account === 'string') return skip(account);
  return accountEvent(
    {
      kind,
      account,
      ip,
      workstation: '',
      mac: normaliseMac(attr('calling-station-id')),
      eventTimeMs: recordTime(r, nowMs),
      source: RADIUS_SOURCE,
      sourceEventId: 'freeradius-detail',
      reporter: (attr('nas-identifier') || attr('nas-ip-address')).toLowerCase(),
    },
    opts,
  );
}

/**
 * Event-Timestamp is when the NAS saw it; with an unknown zone abbreviation the server's own
 * `Timestamp` (Unix seconds, written on receipt) is the better clock, then the date line.
 */
function recordTime(r: DetailRecord, nowMs: number): number {
  const event = parseEventTimestamp(r.attrs.get('event-timestamp') ?? '');
  if (event?.exact) return event.ms;
  const stamp = r.attrs.get('timestamp') ?? '';
  if (/^\d{9,11}$/.test(stamp)) return Number(stamp) * 1000;
  return event?.ms ?? r.headerTimeMs ?? nowMs;
}

function unquote(v: string): string {
  const s = v.trim();
  const q = s[0];
  if ((q === '"' || q === "'") && s.length >= 2 && s.endsWith(q)) return s.slice(1, -1).replace(/\\(.)/g, '$1');
  return s;
}

/** `freeradius-detail`: the accounting `detail` files of FreeRADIUS (radacct/<client>/detail-*). */
export const freeradiusDetailFormat: SourceFormat = {
  name: 'freeradius-detail',
  description: 'FreeRADIUS accounting detail files (records separated by blank lines)',
  createSplitter: () => new BlankLineSplitter(),
  createParser(options: ParseOptions = {}) {
    return (record: string): RecordResult => {
      const r = readDetailRecord(record);
      return typeof r === 'string' ? skip(r) : mapDetailRecord(r, options);
    };
  },
};
