import type { Socket } from 'node:net';
import { errorMessage, formatAccount, normaliseIp, type Identity__Output, type Logger } from '@fsso/common';
import type { CompiledPolicy } from '../policy';
import type { AuthClient, AuthSession, AuthStep } from './auth-session';
import type { ProxyConfig, ProxyScheme } from './config';

/** What the proxy answers a request with. */
export type GateResult =
  | { kind: 'pass'; who: string }
  | { kind: 'challenge'; headers: string[] }
  | { kind: 'forbidden'; reason: string }
  | { kind: 'unavailable'; reason: string };

/** What the proxy did, logged when it stops. */
export interface ProxyCounters {
  requests: number;
  /** Requests of addresses the table already knew: no challenge. */
  known: number;
  challenged: number;
  authenticated: number;
  authFailed: number;
  forbidden: number;
}

/** Per client TCP connection: the exchange in progress, and whom it authenticated. */
interface ConnState {
  session?: AuthSession;
  identity?: Identity__Output;
}

export interface GateDeps {
  cfg: ProxyConfig;
  policy: CompiledPolicy;
  lookup: (ip: string) => Identity__Output | undefined;
  auth: AuthClient;
  log: Logger;
}

const HEADER_NAME: Record<ProxyScheme, string> = { ntlm: 'NTLM', negotiate: 'Negotiate' };

/**
 * Who may pass: an address the table knows is decided by the policy at once; an unknown one is
 * challenged (407) and its NTLM or Negotiate tokens go to the collector, whose verdict is then
 * decided by the same policy (403 for a user outside it). After `maxFailures` failed verdicts an
 * address gets 403.
 */
export class ProxyGate {
  private readonly conns = new WeakMap<Socket, ConnState>();
  private readonly failures = new Map<string, { count: number; sinceMs: number }>();
  readonly counters: ProxyCounters = {
    requests: 0,
    known: 0,
    challenged: 0,
    authenticated: 0,
    authFailed: 0,
    forbidden: 0,
  };

  constructor(private readonly d: GateDeps) {}

  /** The request's `Proxy-Authorization` header (if any), on its connection. */
  async check(socket: Socket, header: string | undefined): Promise<GateResult> {
    this.counters.requests++;
    const ip = normaliseIp(socket.remoteAddress ?? '') ?? '';
    const state = this.stateOf(socket);
    const known = this.d.lookup(ip);
    if (known && known.user !== '' && !known.shared && !known.contested) {
      this.counters.known++;
      return this.decide(known, ip);
    }
    if (state.identity) return this.decide(state.identity, ip);
    const offer = { kind: 'challenge' as const, headers: this.d.cfg.schemes.map((s) => HEADER_NAME[s]) };
    const creds = parseAuthorization(header, this.d.cfg.schemes);
    if (!creds) {
      this.counters.challenged++;
      return offer;
    }
    const session = (state.session ??= this.d.auth.session());
    let step: AuthStep;
    try {
      step =
        session.inProgress === creds.scheme && !isNtlmType1(creds.token)
          ? await session.answer(creds.token)
          : await session.begin(ip, creds.scheme, creds.token);
    } catch (err) {
      state.session = undefined;
      session.close();
      const denied = /PERMISSION_DENIED|needs proxy/.test(errorMessage(err));
      this.d.log.warn(
        denied
          ? "the collector refuses this proxy's certificate for authentication; issue one with 'fssoctl pki issue --role proxy --domain DOMAIN'"
          : 'cannot reach the collector to authenticate a client',
        { ip, error: errorMessage(err) },
      );
      return { kind: 'unavailable', reason: `authentication is unavailable: ${errorMessage(err)}` };
    }
    if (step.kind === 'challenge') {
      this.counters.challenged++;
      const token = step.token.toString('base64');
      return { kind: 'challenge', headers: [`${HEADER_NAME[creds.scheme]}${token ? ` ${token}` : ''}`] };
    }
    // The verdict ends the exchange: its stream goes, so only exchanges in progress hold one.
    session.close();
    state.session = undefined;
    if (!step.ok) {
      this.counters.authFailed++;
      const n = this.fail(ip);
      this.d.log.info('client authentication failed', { ip, scheme: creds.scheme, reason: step.reason, failures: n });
      if (n >= this.d.cfg.maxFailures) {
        this.counters.forbidden++;
        return {
          kind: 'forbidden',
          reason: `${n} failed authentications from ${ip} (proxy.maxFailures ${this.d.cfg.maxFailures}); last: ${step.reason}`,
        };
      }
      return offer;
    }
    this.counters.authenticated++;
    this.failures.delete(ip);
    state.identity = identityOf(ip, step, creds.scheme);
    this.d.log.info('client authenticated', {
      ip,
      scheme: creds.scheme,
      user: formatAccount(step.user, step.domain),
      groups: step.groups.length,
    });
    return this.decide(state.identity, ip);
  }

  /** The connection closed: its exchange goes with it. */
  closed(socket: Socket): void {
    this.conns.get(socket)?.session?.close();
    this.conns.delete(socket);
  }

  private stateOf(socket: Socket): ConnState {
    let s = this.conns.get(socket);
    if (!s) {
      s = {};
      this.conns.set(socket, s);
      socket.once('close', () => this.closed(socket));
    }
    return s;
  }

  private decide(identity: Identity__Output, ip: string): GateResult {
    const d = this.d.policy.decide(identity);
    if (d.action === 'allow') return { kind: 'pass', who: d.user ?? '' };
    this.counters.forbidden++;
    this.d.log.info('request denied by the policy', { ip, user: d.user, rule: d.ruleName, reason: d.reason });
    return { kind: 'forbidden', reason: d.reason };
  }

  private fail(ip: string): number {
    const now = Date.now();
    const f = this.failures.get(ip);
    const cur = f && now - f.sinceMs < this.d.cfg.failureWindowMs ? f : { count: 0, sinceMs: now };
    cur.count++;
    // Bounded: a flood of addresses forgets the oldest first.
    this.failures.delete(ip);
    this.failures.set(ip, cur);
    if (this.failures.size > 100_000) this.failures.delete(this.failures.keys().next().value ?? '');
    return cur.count;
  }
}

/** `NTLM <base64>` / `Negotiate <base64>` for an offered scheme, else undefined. */
export function parseAuthorization(
  header: string | undefined,
  offered: readonly ProxyScheme[],
): { scheme: ProxyScheme; token: Buffer } | undefined {
  const m = /^\s*(NTLM|Negotiate)\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const scheme = (m[1] ?? '').toLowerCase() as ProxyScheme;
  const token = Buffer.from(m[2] ?? '', 'base64');
  if (!offered.includes(scheme) || token.length === 0) return undefined;
  return { scheme, token };
}

/** An NTLM NEGOTIATE (type 1) message starts an exchange, whatever the connection did before. */
function isNtlmType1(token: Buffer): boolean {
  return token.length >= 12 && token.subarray(0, 8).toString('latin1') === 'NTLMSSP\0' && token.readUInt32LE(8) === 1;
}

function identityOf(ip: string, v: Extract<AuthStep, { kind: 'verdict' }>, scheme: ProxyScheme): Identity__Output {
  const now = Date.now();
  return {
    ip,
    user: v.user,
    domain: v.domain,
    groups: v.groups,
    groupDns: v.groupDns,
    workstation: '',
    firstSeenMs: now,
    lastSeenMs: now,
    source: scheme,
    revision: 0,
    shared: false,
    groupsStale: false,
    inferred: false,
    contested: false,
  };
}
