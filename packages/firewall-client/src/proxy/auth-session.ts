import type * as grpc from '@grpc/grpc-js';
import {
  errorMessage,
  loadFsso,
  type ProxyAuthReply__Output,
  type ProxyAuthRequest,
  type ProxyAuthServiceClient,
} from '@fsso/common';
import type { ProxyScheme } from './config';

/** What the collector made of one token. */
export type AuthStep =
  | { kind: 'challenge'; token: Buffer }
  | {
      kind: 'verdict';
      ok: boolean;
      user: string;
      domain: string;
      groups: string[];
      groupDns: string[];
      reason: string;
      token: Buffer;
    };

/** Opens ProxyAuthService streams to the collector the proxy syncs from. */
export class AuthClient {
  private readonly clients = new Map<string, ProxyAuthServiceClient>();

  constructor(private readonly target: () => { address: string; credentials: grpc.ChannelCredentials }) {}

  /** A stream for one client connection; closed with it. */
  session(): AuthSession {
    const t = this.target();
    let c = this.clients.get(t.address);
    if (!c) {
      const { proto } = loadFsso();
      c = new proto.fsso.v1.ProxyAuthService(t.address, t.credentials) as ProxyAuthServiceClient;
      this.clients.set(t.address, c);
    }
    return new AuthSession(c);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

/**
 * The exchange of one client TCP connection: NTLM's challenge belongs to the connection, so each
 * gets its own stream, opened at its first token and ended when the connection closes.
 */
export class AuthSession {
  private call: grpc.ClientDuplexStream<ProxyAuthRequest, ProxyAuthReply__Output> | undefined;
  private pending: { resolve: (s: AuthStep) => void; reject: (e: Error) => void } | undefined;
  private failed: Error | undefined;
  /** The scheme of the exchange awaiting its next token, if any. */
  inProgress: ProxyScheme | undefined;

  constructor(private readonly client: ProxyAuthServiceClient) {}

  begin(clientIp: string, scheme: ProxyScheme, token: Buffer): Promise<AuthStep> {
    this.inProgress = scheme;
    return this.send({ begin: { clientIp, scheme, token } });
  }

  answer(token: Buffer): Promise<AuthStep> {
    return this.send({ token });
  }

  close(): void {
    this.call?.end();
    this.call = undefined;
  }

  private send(msg: ProxyAuthRequest): Promise<AuthStep> {
    if (this.failed) this.call = undefined;
    this.failed = undefined;
    const call = this.call ?? this.open();
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      call.write(msg);
    });
  }

  private open(): grpc.ClientDuplexStream<ProxyAuthRequest, ProxyAuthReply__Output> {
    const call = this.client.Authenticate();
    this.call = call;
    call.on('data', (r: ProxyAuthReply__Output) => {
      const p = this.pending;
      this.pending = undefined;
      if (r.challenge) return p?.resolve({ kind: 'challenge', token: Buffer.from(r.challenge.token) });
      this.inProgress = undefined;
      const v = r.verdict;
      p?.resolve({
        kind: 'verdict',
        ok: v?.ok ?? false,
        user: v?.user ?? '',
        domain: v?.domain ?? '',
        groups: v?.groups ?? [],
        groupDns: v?.groupDns ?? [],
        reason: v?.reason ?? '',
        token: Buffer.from(v?.token ?? []),
      });
    });
    const gone = (err: Error): void => {
      this.failed = err;
      this.inProgress = undefined;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(err);
    };
    call.on('error', (err) => gone(new Error(`the collector's ProxyAuthService: ${errorMessage(err)}`)));
    call.on('end', () => gone(new Error('the collector ended the authentication stream')));
    return call;
  }
}
