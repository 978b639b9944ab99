import {
  DomainNames,
  EVENT_KINDS,
  normaliseIp,
  parseAccountName,
  type Event__Output,
  type KnownEventKind,
  type NormalisedEvent,
} from '@fsso/common';

/** An event that passed the edge checks; fields are trimmed and canonical. */
export interface ValidEvent extends NormalisedEvent {
  seq: number;
}

const MAX_FIELD = 256;
/** Checked per event: constants, so no array is built per event. */
const BOUNDED = ['user', 'domain', 'ip', 'workstation', 'mac', 'source', 'sourceEventId', 'reporter'] as const;
const PRINTABLE = ['user', 'domain', 'workstation', 'source', 'sourceEventId', 'reporter'] as const;
const KINDS: ReadonlySet<string> = new Set(EVENT_KINDS);

/**
 * C0 and C1 control characters. A constant: a regex literal in the loop below is a new RegExp
 * object per field per event, 60 % of what this function allocated (bench/README.md, "ingest,
 * fourth round"); `test` without the g flag keeps no state between calls.
 */
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/**
 * Per PRINTABLE field, the last value found free of control characters: a batch repeats its
 * domain, source, event id and reporter (the decoder even hands out the same string), and the
 * regex per field per event was a fifth of this function.
 */
const printableSeen: string[] = PRINTABLE.map(() => '');

/** Domain names: letters, digits, '.', '-', '_', spaces; never '\\', '@' or '/'. */
const DOMAIN = /^[A-Za-z0-9][A-Za-z0-9._ -]*$/;

/**
 * The last domain judged, what it was judged against (a stream's certificate scope and the
 * configured names, neither ever changed in place) and the answer: a canonical name or a reason.
 * A batch names one or two domains, and judging one (regex, canonical name, scope) was a fifth
 * of this function's time.
 */
let lastDomain: {
  named: string;
  scope: readonly string[] | undefined;
  names: DomainNames;
  answer: string;
  ok: boolean;
} = {
  named: '',
  scope: undefined,
  names: DomainNames.NONE,
  answer: '',
  ok: true,
};

/**
 * Checks one event from an agent. Returns the reason it is rejected, or the clean event.
 * Agents normalise already; the collector checks again because it trusts no input.
 *
 * `scope`: the domains the agent's certificate covers (undefined on a plaintext collector). A user
 * field that carries its own domain (`eve@sales.example`, `SALES\eve`) is judged by that domain,
 * and domains are compared whole, through `names` (the configured NetBIOS/DNS equivalences).
 */
export function validateEvent(
  e: Event__Output,
  scope?: readonly string[],
  names: DomainNames = DomainNames.NONE,
): ValidEvent | string {
  if (!Number.isSafeInteger(e.seq) || e.seq <= 0) return `seq ${e.seq} is not a positive integer`;
  if (!KINDS.has(e.kind)) return `kind ${String(e.kind)} is unknown`;
  for (const f of BOUNDED) {
    if (e[f].length > MAX_FIELD) return `${f} is longer than ${MAX_FIELD} characters`;
  }
  let ip = '';
  if (e.ip !== '') {
    const n = normaliseIp(e.ip);
    if (n === null) return `ip ${JSON.stringify(e.ip)} is not a client address`;
    ip = n;
  }
  if (!Number.isFinite(e.eventTimeMs) || e.eventTimeMs <= 0) return 'eventTimeMs is missing';
  for (let i = 0; i < PRINTABLE.length; i++) {
    const f = PRINTABLE[i] as (typeof PRINTABLE)[number];
    const v = e[f];
    if (v === printableSeen[i]) continue;
    if (CONTROL.test(v)) return `${f} contains control characters`;
    printableSeen[i] = v;
  }
  const account = parseAccountName(e.user);
  if (account.user.includes('\\') || account.user.includes('@'))
    return `user ${JSON.stringify(e.user)} names more than one domain`;
  const named = account.domain ?? e.domain;
  const d = lastDomain;
  if (d.named !== named || d.scope !== scope || d.names !== names)
    lastDomain = { named, scope, names, ...judgeDomain(named.trim(), scope, names) };
  if (!lastDomain.ok) return lastDomain.answer;
  const domain = lastDomain.answer;
  return {
    seq: e.seq,
    kind: e.kind as KnownEventKind,
    user: account.user.trim().toLowerCase(),
    domain,
    ip,
    workstation: e.workstation.trim().toUpperCase(),
    mac: e.mac.trim().toLowerCase(),
    eventTimeMs: e.eventTimeMs,
    source: e.source,
    sourceEventId: e.sourceEventId,
    logonType: e.logonType,
    reporter: e.reporter,
  };
}

/** The canonical domain of an event naming `named`, or why an agent with `scope` may not name it. */
function judgeDomain(
  named: string,
  scope: readonly string[] | undefined,
  names: DomainNames,
): { answer: string; ok: boolean } {
  if (named !== '' && !DOMAIN.test(named))
    return { answer: `domain ${JSON.stringify(named)} is not a domain name`, ok: false };
  let domain = names.canonical(named);
  if (scope && !scope.includes('*')) {
    // A compromised DC of one domain must not forge users of another; an event naming no domain
    // is taken to be of the agent's own.
    if (domain === '') domain = names.canonical(scope[0] ?? '');
    else if (!names.covers(scope, domain))
      return { answer: `domain ${domain} is outside the agent certificate's domains (${scope.join(', ')})`, ok: false };
  }
  return { answer: domain, ok: true };
}
