import { parseSyslogHeader, stripPri, trimLineEnd } from './header';

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

/**
 * Takes one syslog line apart (syslog/header.ts): RFC 5424, RFC 3164 (with or without PRI,
 * hostname or tag), or anything else (taken whole as the message, after a leading PRI, with the
 * receive time). Never throws: devices in the field send every variation, and a reader must not
 * stop on one.
 */
export function parseSyslogMessage(raw: string, nowMs: number = Date.now()): SyslogMessage {
  const h = parseSyslogHeader(raw, nowMs);
  if (!h) return { time: nowMs, host: '', app: '', message: stripPri(trimLineEnd(raw)) };
  return { time: Number.isFinite(h.time) ? h.time : nowMs, host: h.host, app: h.app, message: h.message };
}
