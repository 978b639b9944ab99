import { EVENT_KINDS, normaliseIp, type Event__Output, type KnownEventKind, type NormalisedEvent } from '@fsso/common';

/** An event that passed the edge checks; fields are trimmed and canonical. */
export interface ValidEvent extends NormalisedEvent {
  seq: number;
}

const MAX_FIELD = 256;

/**
 * Checks one event from an agent. Returns the reason it is rejected, or the clean event.
 * Agents normalise already; the collector checks again because it trusts no input.
 */
/** Whether a certificate's domains cover `domain` (NetBIOS or DNS form; '*' covers all). */
export function inScope(scope: readonly string[], domain: string): boolean {
  const d = domain.toUpperCase();
  const first = d.split('.')[0] ?? d;
  return scope.some((s) => s === '*' || s === d || (s.split('.')[0] ?? s) === first);
}

export function validateEvent(e: Event__Output, scope?: readonly string[]): ValidEvent | string {
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
  let domain = e.domain.trim().toUpperCase();
  if (scope && !scope.includes('*')) {
    // A compromised DC of one domain must not forge users of another; an event naming no domain
    // is taken to be of the agent's own.
    if (domain === '') domain = scope[0] ?? '';
    else if (!inScope(scope, domain)) return `domain ${domain} is outside the agent certificate's domains (${scope.join(', ')})`;
  }
  for (const [f, v] of [['user', e.user], ['workstation', e.workstation]] as const) {
    if (/[\x00-\x1f\x7f]/.test(v)) return `${f} contains control characters`;
  }
  return {
    seq: e.seq, kind: e.kind as KnownEventKind, user: e.user.trim().toLowerCase(), domain, ip,
    workstation: e.workstation.trim().toUpperCase(), mac: e.mac.trim().toLowerCase(), eventTimeMs: e.eventTimeMs,
    source: e.source, sourceEventId: e.sourceEventId, logonType: e.logonType, reporter: e.reporter,
  };
}
