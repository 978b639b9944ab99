/** One syslog message with its header taken apart. */
export interface SyslogMessage {
  /** When the sender says it happened (epoch ms); the receive time when the header has none. */
  time: number;
  /** HOSTNAME of the header, '' when the header has none. */
  host: string;
  /** APP-NAME (RFC 5424) or TAG (RFC 3164), '' when none. */
  app: string;
  /** The free-form part that profiles are matched against. */
  message: string;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_MS = 86_400_000;

const PRI = /^<(\d{1,3})>/;
// RFC 5424: VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP (rest = SD [SP MSG]).
const RFC5424 = /^1 (\S+) (\S+) (\S+) (\S+) (\S+) ?([\s\S]*)$/;
// RFC 3164 "Mmm dd hh:mm:ss"; Cisco and others add a year or milliseconds, which are accepted.
const BSD_TIME = /^([A-Za-z]{3}) +(\d{1,2}) (?:(\d{4}) )?(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))? +/;
// rsyslog's RFC3339 timestamp in an otherwise BSD-style header.
const ISO_TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)) +/;
// A HOSTNAME is a name or an address; a token with ',' '/' '=' or ending in ':' is already the message.
const HOST = /^([A-Za-z0-9_][A-Za-z0-9._\-:%]*[A-Za-z0-9_.]|[A-Za-z0-9]) +/;
const TAG = /^([A-Za-z0-9_.\/-]{1,48})(?:\[[^\]\s]{0,32}\])?: ?/;

/**
 * Takes one syslog line apart: RFC 5424, RFC 3164 (with or without PRI, hostname or tag), or
 * anything else (taken whole as the message, after a leading PRI, with the receive time).
 * Never throws: devices in the field send every variation, and a reader must not stop on one.
 */
export function parseSyslogMessage(raw: string, nowMs: number = Date.now()): SyslogMessage {
  // A loop, not /[\r\n\0]+$/: that regular expression is quadratic on a long run inside the message.
  let end = raw.length;
  while (end > 0 && (raw.charCodeAt(end - 1) === 13 || raw.charCodeAt(end - 1) === 10 || raw.charCodeAt(end - 1) === 0)) end--;
  let rest = raw.slice(0, end);
  const pri = PRI.exec(rest);
  if (pri) rest = rest.slice(pri[0].length);

  const v5424 = pri ? RFC5424.exec(rest) : null;
  if (v5424) return fromRfc5424(v5424, nowMs);

  let time = nowMs;
  const bsd = BSD_TIME.exec(rest);
  const iso = bsd ? null : ISO_TIME.exec(rest);
  if (bsd) {
    time = bsdTime(bsd, nowMs);
    rest = rest.slice(bsd[0].length);
  } else if (iso) {
    const t = Date.parse(iso[1] ?? '');
    if (Number.isFinite(t)) time = t;
    rest = rest.slice(iso[0].length);
  } else {
    return { time: nowMs, host: '', app: '', message: rest };
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

function fromRfc5424(m: RegExpExecArray, nowMs: number): SyslogMessage {
  const stamp = m[1] ?? '-';
  const parsed = stamp === '-' ? NaN : Date.parse(stamp);
  const nil = (s: string | undefined): string => (s === undefined || s === '-' ? '' : s);
  return {
    time: Number.isFinite(parsed) ? parsed : nowMs,
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
  return s.slice(i).replace(/^ /, '').replace(/^\uFEFF/, '');
}

/**
 * RFC 3164 has no year: the current one, unless that puts the message more than a day in the
 * future (a December line read in January), then the previous one. The time is the sender's
 * local time, which is assumed to be ours.
 */
function bsdTime(m: RegExpExecArray, nowMs: number): number {
  const month = MONTHS.indexOf((m[1] ?? '').toLowerCase());
  if (month < 0) return nowMs;
  const at = (year: number): number =>
    new Date(year, month, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6]), Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3))).getTime();
  if (m[3] !== undefined) return at(Number(m[3]));
  const year = new Date(nowMs).getFullYear();
  const t = at(year);
  return t > nowMs + DAY_MS ? at(year - 1) : t;
}
