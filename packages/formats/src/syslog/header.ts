import { parseWindowsTime } from '../windows/time';

/**
 * The one syslog header parser: the syslog formats (syslog/message.ts) and the DHCP servers'
 * syslog lines (dhcp/syslog.ts) both read headers through it, so a line's time, host and tag
 * never depend on which format reads it.
 *
 * Forms, as the recorded lines use them:
 *   RFC 5424            `<165>1 2003-10-11T22:14:15.003Z host app procid msgid [sd] msg`
 *   BSD (RFC 3164)      `<38>Nov 22 07:05:01 gw01 sshd[1234]: ...`, with or without PRI, host or tag
 *   with year, ms       `<189>Apr 27 2020 11:11:47.250 10.0.0.1 %ASA-6-113004: ...` (Cisco)
 *   localised month     `ene 06 12:48:19 kea kea-dhcp4[617]: ...` (journalctl in a Spanish locale)
 *   RFC 3339            `2024-05-01T10:00:00.123+02:00 server dhcpd[902]: ...` (rsyslog file format)
 *
 * Time zones: a BSD time (which has none) is taken as UTC, like the Windows readers' zone-less
 * times; the recorded DHCP and syslog data the tests read are pinned in UTC. (The syslog format
 * used the reading host's local time before the two parsers became one; on a UTC host, as the
 * agent's service and the tests run, both gave the same times.)
 */
export interface SyslogHeader {
  /** When the sender says it happened (epoch ms); NaN when the header's time cannot be read (an unknown month name, Feb 30). */
  time: number;
  /** HOSTNAME of the header, '' when the header has none. */
  host: string;
  /** APP-NAME (RFC 5424) or TAG (RFC 3164), '' when none. */
  app: string;
  /** What follows the header. */
  message: string;
}

const DAY_MS = 86_400_000;

/** Month abbreviations as `date` writes them in English, Spanish, German and French locales. */
const MONTHS: ReadonlyMap<string, number> = new Map(
  [
    ['jan', 'ene', 'janv', 'jän'],
    ['feb', 'févr', 'fév', 'fev'],
    ['mar', 'mär', 'mars'],
    ['apr', 'abr', 'avr'],
    ['may', 'mai'],
    ['jun', 'juin'],
    ['jul', 'juil'],
    ['aug', 'ago', 'août', 'aoû'],
    ['sep', 'sept'],
    ['oct', 'okt'],
    ['nov'],
    ['dec', 'dic', 'déc', 'dez'],
  ].flatMap((names, month) => names.map((n): [string, number] => [n, month])),
);

const PRI = /^<(\d{1,3})>/;
// RFC 5424: VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP (rest = SD [SP MSG]).
const RFC5424 = /^1 (\S+) (\S+) (\S+) (\S+) (\S+) ?([\s\S]*)$/;
// RFC 3164 "Mmm dd hh:mm:ss"; Cisco and others add a year or milliseconds, which are accepted.
const BSD_TIME = /^(\p{L}{3,5})\.?\s+(\d{1,2})\s+(?:(\d{4})\s+)?(\d{1,2}):(\d\d):(\d\d)(?:\.(\d{1,6}))?\s+/u;
// rsyslog's RFC3339 timestamp in an otherwise BSD-style header.
const ISO_TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)\s+/i;
// A HOSTNAME is a name or an address; a token with ',' '/' '=' or ending in ':' is already the message.
const HOST = /^([A-Za-z0-9_][A-Za-z0-9._\-:%]*[A-Za-z0-9_.]|[A-Za-z0-9]) +/;
const TAG = /^([A-Za-z0-9_./-]{1,48})(?:\[[^\]\s]{0,32}\])?: ?/;

/** A trailing CR, LF or NUL run, cut with a loop: /[\r\n\0]+$/ is quadratic on a long run inside the message. */
export function trimLineEnd(raw: string): string {
  let end = raw.length;
  while (end > 0 && (raw.charCodeAt(end - 1) === 13 || raw.charCodeAt(end - 1) === 10 || raw.charCodeAt(end - 1) === 0))
    end--;
  return raw.slice(0, end);
}

/** The line without its PRI (a transport detail). */
export function stripPri(line: string): string {
  const pri = PRI.exec(line);
  return pri ? line.slice(pri[0].length) : line;
}

/**
 * Takes a syslog header apart; null when the line has none (neither RFC 5424 nor a BSD or
 * RFC 3339 time after the optional PRI). Never throws: devices send every variation.
 */
export function parseSyslogHeader(raw: string, nowMs: number): SyslogHeader | null {
  const line = trimLineEnd(raw);
  let rest = stripPri(line);
  const v5424 = rest !== line ? RFC5424.exec(rest) : null;
  if (v5424) return fromRfc5424(v5424);

  let time: number;
  const bsd = BSD_TIME.exec(rest);
  const iso = bsd ? null : ISO_TIME.exec(rest);
  if (bsd) {
    time = bsdTime(bsd, nowMs);
    rest = rest.slice(bsd[0].length);
  } else if (iso) {
    time = parseWindowsTime(iso[1]);
    rest = rest.slice(iso[0].length);
  } else {
    return null;
  }
  let host = '';
  const h = HOST.exec(rest);
  // "sshd[42]: …" and "su: …" are tags of a header without hostname, not hosts.
  if (h && !TAG.test(rest)) {
    host = h[1] ?? '';
    rest = rest.slice(h[0].length);
  }
  let app = '';
  const tag = TAG.exec(rest);
  if (tag) {
    app = tag[1] ?? '';
    rest = rest.slice(tag[0].length);
  }
  return { time, host, app, message: rest };
}

function fromRfc5424(m: RegExpExecArray): SyslogHeader {
  const stamp = m[1] ?? '-';
  const nil = (s: string | undefined): string => (s === undefined || s === '-' ? '' : s);
  return {
    time: stamp === '-' ? NaN : parseWindowsTime(stamp),
    host: nil(m[2]),
    app: nil(m[3]),
    message: skipStructuredData(m[6] ?? ''),
  };
}

/** STRUCTURED-DATA is '-' or `[id k="v" …]…`, where `]`, `"` and `\` are escaped inside values. */
function skipStructuredData(s: string): string {
  let i = 0;
  if (s.startsWith('-')) {
    i = 1;
  } else {
    while (s[i] === '[') {
      let quoted = false;
      for (i++; i < s.length; i++) {
        const c = s[i];
        if (c === '\\') i++;
        else if (c === '"') quoted = !quoted;
        else if (c === ']' && !quoted) break;
      }
      i++;
    }
  }
  // MSG may start with a UTF-8 byte-order mark (RFC 5424 6.4).
  return s
    .slice(i)
    .replace(/^ /, '')
    .replace(/^\uFEFF/, '');
}

function bsdTime(m: RegExpExecArray, nowMs: number): number {
  const month = MONTHS.get((m[1] ?? '').toLowerCase());
  if (month === undefined) return NaN;
  const n = (i: number): number => Number(m[i] ?? '0');
  const ms = Number(((m[7] ?? '') + '000').slice(0, 3));
  if (m[3] !== undefined) return utcTime(n(3), month, n(2), n(4), n(5), n(6), ms);
  return syslogTime(month, n(2), n(4), n(5), n(6), ms, nowMs);
}

/** Date.UTC, or NaN for an impossible date (Feb 29 outside leap years, hour 25). */
function utcTime(y: number, month: number, day: number, h: number, m: number, s: number, ms: number): number {
  if (month < 0 || month > 11 || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return NaN;
  const t = Date.UTC(y, month, day, h, m, s, ms);
  return new Date(t).getUTCDate() === day ? t : NaN;
}

/**
 * A BSD syslog time has no year: it is taken to be this year unless that lies more than a day
 * ahead of `nowMs` (a December line read in January), then last year. The day of slack covers
 * servers whose local time is ahead of UTC. NaN for impossible dates.
 */
export function syslogTime(
  month: number,
  day: number,
  h: number,
  m: number,
  s: number,
  ms: number,
  nowMs: number,
): number {
  const year = new Date(nowMs).getUTCFullYear();
  for (const y of [year, year - 1]) {
    const t = utcTime(y, month, day, h, m, s, ms);
    if (Number.isNaN(t)) continue;
    if (y === year && t > nowMs + DAY_MS) continue;
    return t;
  }
  return NaN;
}
