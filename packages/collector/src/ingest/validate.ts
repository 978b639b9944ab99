import { EVENT_KINDS, normaliseIp, type Event__Output, type KnownEventKind } from '@fsso/common';

/** An event that passed the edge checks; fields are trimmed and canonical. */
export interface ValidEvent {
  seq: number;
  kind: KnownEventKind;
  user: string;
  domain: string;
  ip: string;
  workstation: string;
  mac: string;
  eventTimeMs: number;
  source: string;
  sourceEventId: string;
  logonType: number;
  reporter: string;
}

const MAX_FIELD = 256;

/**
 * Checks one event from an agent. Returns the reason it is rejected, or the clean event.
 * Agents normalise already; the collector checks again because it trusts no input.
 */
export function validateEvent(e: Event__Output): ValidEvent | string {
  if (!Number.isSafeInteger(e.seq) || e.seq <= 0) return `seq ${e.seq} is not a positive integer`;
  if (!(EVENT_KINDS as readonly string[]).includes(e.kind)) return `kind ${String(e.kind)} is unknown`;
  for (const f of ['user', 'domain', 'ip', 'workstation', 'mac', 'source', 'sourceEventId', 'reporter'] as const) {
    if (e[f].length > MAX_FIELD) return `${f} is longer than ${MAX_FIELD} characters`;
  }
  let ip = '';
  if (e.ip !== '') {
    const n = normaliseIp(e.ip);
    if (n === null) return `ip ${JSON.stringify(e.ip)} is not a client address`;
    ip = n;
  }
  if (!Number.isFinite(e.eventTimeMs) || e.eventTimeMs <= 0) return 'eventTimeMs is missing';
  return {
    seq: e.seq, kind: e.kind as KnownEventKind, user: e.user.trim().toLowerCase(), domain: e.domain.trim().toUpperCase(), ip,
    workstation: e.workstation.trim().toUpperCase(), mac: e.mac.trim().toLowerCase(), eventTimeMs: e.eventTimeMs,
    source: e.source, sourceEventId: e.sourceEventId, logonType: e.logonType, reporter: e.reporter,
  };
}
