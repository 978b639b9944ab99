import { parseSyslogHeader } from '../syslog/header';

export { syslogTime } from '../syslog/header';

/** A DHCP server's line with the syslog header taken apart (by the one header parser, syslog/header.ts). */
export interface SyslogLine {
  /** NaN when the header has a timestamp this module cannot read (an unknown month name). */
  timeMs: number;
  /** The sending host ('' if the header has none). */
  host: string;
  /** What follows the header and the `tag[pid]:`. */
  message: string;
}

/** Splits a syslog line into time, host and message; null when the line has no syslog header. */
export function parseSyslog(line: string, nowMs: number): SyslogLine | null {
  const h = parseSyslogHeader(line, nowMs);
  return h && { timeMs: h.time, host: h.host, message: h.message.trim() };
}
