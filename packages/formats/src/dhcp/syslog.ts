import { parseWindowsTime } from '../windows/time';

/**
 * The header syslog puts before a DHCP server's message, in the forms the recorded lines use:
 *   BSD (RFC 3164)      `Jul 11 20:01:28 server dhcpd[902]: DHCPACK on ...`
 *   with PRI            `<13>Jun 28 13:22:54 DC01.corp.example 11,06/28/16,...` (no tag)
 *   localised month     `ene 06 12:48:19 kea kea-dhcp4[617]: ...` (journalctl in a Spanish locale)
 *   RFC 3339            `2024-05-01T10:00:00.123+02:00 server dhcpd[902]: ...` (rsyslog file format)
 */
export interface SyslogLine {
  /** NaN when the header has a timestamp this module cannot read (an unknown month name). */
  timeMs: number;
  /** The sending host ('' if the header has none). */
  host: string;
  /** What follows the header and the `tag[pid]:`. */
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

const BSD = /^(\p{L}{3,5})\.?\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?\s+/u;
const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\s+/i;
/** `dhcpd[902]: `, `kea-dhcp4: `; the space after the colon keeps `11,06/28/16,13:22` out. */
const TAG = /^[^\s:[\]]+(?:\[\d+\])?:(?:\s+|$)/;

/** Splits a syslog line into time, host and message; null when the line has no syslog header. */
export function parseSyslog(line: string, nowMs: number): SyslogLine | null {
  // PRI and the RFC 5424 version digit are transport details.
  let rest = line.replace(/^<\d{1,3}>(?:1 )?/, '');
  let timeMs: number;
  const bsd = BSD.exec(rest);
  const iso = bsd ? null : RFC3339.exec(rest);
  if (bsd) {
    const month = MONTHS.get((bsd[1] ?? '').toLowerCase());
    const n = (i: number): number => Number(bsd[i] ?? '0');
    const ms = Number(((bsd[6] ?? '') + '000').slice(0, 3));
    timeMs = month === undefined ? NaN : syslogTime(month, n(2), n(3), n(4), n(5), ms, nowMs);
    rest = rest.slice(bsd[0].length);
  } else if (iso) {
    timeMs = parseWindowsTime(iso[1]);
    rest = rest.slice(iso[0].length);
  } else {
    return null;
  }
  // Some senders (BSD syslogd, forwarded Windows rows) omit the host or the tag.
  let host = '';
  if (!TAG.test(rest)) {
    const h = /^(\S+)\s*/.exec(rest);
    host = h?.[1] ?? '';
    rest = rest.slice(h?.[0].length ?? 0);
  }
  const tag = TAG.exec(rest);
  const message = tag ? rest.slice(tag[0].length) : rest;
  return { timeMs, host, message: message.trim() };
}

/**
 * A BSD syslog time has no year: it is taken to be this year unless that lies more than a day
 * ahead of `nowMs` (a December line read in January), then last year. The day of slack covers
 * servers whose local time is ahead of UTC. Like the Windows reader, a time without zone is
 * taken as UTC. NaN for impossible dates (Feb 29 outside leap years, hour 25).
 */
export function syslogTime(month: number, day: number, h: number, m: number, s: number, ms: number, nowMs: number): number {
  if (month < 0 || month > 11 || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return NaN;
  const year = new Date(nowMs).getUTCFullYear();
  for (const y of [year, year - 1]) {
    const t = Date.UTC(y, month, day, h, m, s, ms);
    if (new Date(t).getUTCDate() !== day) continue;
    if (y === year && t > nowMs + DAY_MS) continue;
    return t;
  }
  return NaN;
}
