import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { endWithStatus } from './status';
import { EKU_CLIENT, certAgentId, identityFromSan, normaliseThumbprint, type Logger, type Role } from '@fsso/common';

/** Who is calling, from their client certificate; undefined on a plaintext (insecure) server. */
export interface Caller {
  roles: Role[];
  /** Domains an agent certificate may report for (upper-case; '*' = all). */
  domains: string[];
  /** urn:fsso:agent: ids in the certificate (an agent certificate has one). */
  agentIds: string[];
  /** The agent id this certificate stands for (its agent URI, else its CN), or why it has none. */
  agent: { id: string } | { problem: string };
  /** CN and SHA-256 thumbprint, for log lines that name the certificate. */
  name: string;
  /** SHA-256 thumbprint, lower-case hex. */
  thumbprint: string;
}

/**
 * The caller of each open TLS connection, worked out once at its handshake (ConnectionGate):
 * reading and parsing the client certificate on every call was most of the difference between a
 * Lookup and a plain echo (bench/README.md, "lookup-rpc"). Keyed by the peer's address and port,
 * which no two open connections to one listener share; removed when the connection closes, so a
 * later connection from the same port is parsed afresh.
 */
export class ConnectionCallers {
  private readonly byPeer = new Map<string, Caller>();
  set(peer: string, caller: Caller): void {
    this.byPeer.set(peer, caller);
  }
  delete(peer: string): void {
    this.byPeer.delete(peer);
  }
  get(peer: string): Caller | undefined {
    return this.byPeer.get(peer);
  }
  get size(): number {
    return this.byPeer.size;
  }
}

type AnyCall = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getAuthContext' | 'getPeer'>;

export function callerOf(call: AnyCall, connections?: ConnectionCallers): Caller | undefined {
  const known = connections?.get(call.getPeer());
  if (known) return known;
  return callerOfCertificate(call.getAuthContext().sslPeerCertificate);
}

/** The caller a verified client certificate stands for. */
export function callerOfCertificate(cert: PeerCertificate | undefined): Caller | undefined {
  if (!cert) return undefined;
  const id = identityFromSan(cert.subjectaltname);
  const eku = (cert as { ext_key_usage?: string[] }).ext_key_usage;
  return {
    // A certificate not made for clients gets no role, whatever its SANs say.
    roles: eku && !eku.includes(EKU_CLIENT) ? [] : id.roles,
    domains: id.domains,
    agentIds: id.agentIds,
    // Several CNs cannot name one agent: without a URI such a certificate has no agent id.
    agent: certAgentId(id.agentIds, typeof cert.subject?.CN === 'string' ? cert.subject.CN : undefined),
    name: `${cert.subject?.CN ?? '?'} (sha256 ${cert.fingerprint256?.replace(/:/g, '').slice(0, 16).toLowerCase() ?? '?'}…)`,
    thumbprint: normaliseThumbprint(cert.fingerprint256 ?? ''),
  };
}

export interface GuardOptions {
  insecure: boolean;
  /** Client certificate thumbprints allowed (pinning); empty: any from the CA. */
  pins: string[];
  log: Logger;
  denied: { count: number };
  /** Callers of open connections, from their handshake; absent: every call reads its certificate. */
  connections?: ConnectionCallers | undefined;
}

/**
 * Lets a service be called only by certificates with one of `roles` (the SAN URI
 * urn:fsso:role:NAME). Anything else gets PERMISSION_DENIED, and a log line names the certificate.
 * On a plaintext server there are no certificates: every call passes, and each new peer is warned about.
 */
export function guard<H extends object>(service: string, handlers: H, roles: readonly Role[], o: GuardOptions): H {
  const warned = new Set<string>();
  const out: Record<string, unknown> = {};
  for (const [method, fn] of Object.entries(handlers) as [string, (...a: unknown[]) => void][]) {
    out[method] = (
      call: AnyCall & { destroy?(e: Error): void },
      callback?: (e: Partial<grpc.StatusObject>) => void,
    ) => {
      if (o.insecure) {
        const peer = call.getPeer().replace(/:\d+$/, '');
        if (!warned.has(peer) && warned.size < 10_000) {
          warned.add(peer);
          o.log.warn('plaintext connection: the caller is not authenticated', { peer, service });
        }
        return fn(call, callback);
      }
      const who = callerOf(call, o.connections);
      const pinned = o.pins.length === 0 || (who !== undefined && o.pins.includes(who.thumbprint));
      if (who && pinned && who.roles.some((r) => roles.includes(r))) return fn(call, callback);
      o.denied.count++;
      const details =
        who && !pinned
          ? `certificate ${who.name} is not one of the pinned client certificates (tls.pins)`
          : who
            ? `certificate ${who.name} has role ${who.roles.join(', ') || '(none)'}; ${service} needs ${roles.join(' or ')}`
            : `no client certificate; ${service} needs one with role ${roles.join(' or ')}`;
      o.log.warn('call refused', { service, method, peer: call.getPeer(), reason: details });
      const status = { code: grpc.status.PERMISSION_DENIED, details };
      if (callback) callback(status);
      else endWithStatus(call as unknown as NodeJS.EventEmitter, status.code, details);
    };
  }
  return out as H;
}
