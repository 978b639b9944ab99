import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { EventEmitter } from 'node:events';
import type { TLSSocket } from 'node:tls';
import type * as grpc from '@grpc/grpc-js';
import { InternalError, TlsUnavailableError, ListenError, errorMessage, type Logger } from '@fsso/common';
import type { Limits } from '../limits-config';
import { countHit, RateLimitedWarn } from '../services/limits';
import { callerOfCertificate, type ConnectionCallers } from '../services/guard';

type GateLimits = Pick<Limits, 'handshakeTimeoutMs' | 'maxPendingHandshakesPerSource' | 'maxPendingHandshakes'>;

interface Pending {
  source: string;
  timer: NodeJS.Timeout;
}

/**
 * The collector's own TCP listener in front of grpc-js, for what happens before anyone is
 * authenticated: a TLS handshake deadline, a cap on connections still in their handshake (per
 * source address and in total), and counters plus a rate-limited log line for every connection
 * refused or cut. Accepted sockets are handed to grpc-js through its connection injector.
 *
 * Why: grpc-js leaves the handshake to Node's tls.Server, whose deadline is 120 s and which counts
 * nothing; ~20 000 idle TCP connections without a certificate locked valid clients out for two
 * minutes, with nothing logged.
 */
export class ConnectionGate {
  private readonly listener: NetServer;
  private readonly injector: ReturnType<grpc.Server['createConnectionInjector']>;
  /** Connections still in their handshake, by "address:port". */
  private readonly pending = new Map<string, Pending>();
  private readonly perSource = new Map<string, number>();
  private readonly open = new Set<Socket>();
  private readonly warn: RateLimitedWarn;

  constructor(
    server: grpc.Server,
    private readonly credentials: grpc.ServerCredentials,
    private readonly limits: GateLimits,
    private readonly tls: boolean,
    private readonly log: Logger,
    private readonly limitHits: Record<string, number>,
    /** Filled with each verified connection's caller at its handshake, for the role checks. */
    private readonly callers?: ConnectionCallers,
  ) {
    this.warn = new RateLimitedWarn(log, (n, s) => `TLS handshakes refused/timed out: ${n} in the last ${s} s`);
    this.injector = server.createConnectionInjector(credentials);
    if (tls) this.watchHandshakes(server);
    this.listener = createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  /** Binds "host:port" and resolves with the port bound (useful with port 0). */
  async listen(address: string): Promise<number> {
    await this.credentialsLoaded();
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
    const host = m?.[1] ?? '127.0.0.1';
    const port = Number(m?.[2] ?? 0);
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void =>
        reject(
          new ListenError(
            `cannot listen on ${address}: ${errorMessage(err)}; pick a free port or stop what uses it`,
            address,
          ),
        );
      this.listener.once('error', onError);
      // A deep accept queue: a connection burst is accepted and judged here, not dropped by the kernel.
      this.listener.listen({ host, port, backlog: 4096 }, () => {
        this.listener.off('error', onError);
        this.listener.on('error', (err) => this.log.error('listener error', { error: errorMessage(err) }));
        const a = this.listener.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  /**
   * The certificate files are read asynchronously after the injector subscribes to them; until
   * then grpc-js resets every connection. Listening only once they are loaded keeps "collector
   * listening" true to its word.
   */
  private async credentialsLoaded(): Promise<void> {
    if (!this.tls) return;
    for (let i = 0; i < 500; i++) {
      if (this.credentials._getSecureContextOptions() !== null) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new TlsUnavailableError(
      'the TLS certificate, key or CA could not be loaded within 10 s; check tls.cert, tls.key and tls.ca',
    );
  }

  /** Stops accepting and cuts connections still in their handshake; grpc-js drains the rest. */
  close(): void {
    this.listener.close();
    for (const s of this.open) if (this.pending.has(keyOf(s))) s.destroy();
    this.warn.stop();
  }

  /** Every connection grpc-js still holds, cut (after the drain grace). */
  destroyAll(): void {
    for (const s of this.open) s.destroy();
  }

  get pendingHandshakes(): number {
    return this.pending.size;
  }

  private accept(socket: Socket): void {
    const source = socket.remoteAddress ?? '?';
    const key = keyOf(socket);
    socket.on('error', () => undefined); // reset by peer and the like: the close below cleans up
    if (!this.tls) {
      this.open.add(socket);
      socket.once('close', () => this.open.delete(socket));
      this.injector.injectConnection(socket);
      return;
    }
    const fromSource = this.perSource.get(source) ?? 0;
    const limit =
      fromSource >= this.limits.maxPendingHandshakesPerSource
        ? 'maxPendingHandshakesPerSource'
        : this.pending.size >= this.limits.maxPendingHandshakes
          ? 'maxPendingHandshakes'
          : undefined;
    if (limit) {
      countHit(this.limitHits, limit);
      this.warn.note(source, { reason: `over limits.${limit}` });
      socket.destroy();
      return;
    }
    this.perSource.set(source, fromSource + 1);
    const timer = setTimeout(() => {
      if (!this.pending.has(key)) return;
      this.settle(key);
      countHit(this.limitHits, 'handshakeTimeout');
      this.warn.note(source, {
        reason: `no TLS handshake within limits.handshakeTimeout (${this.limits.handshakeTimeoutMs} ms)`,
      });
      socket.destroy();
    }, this.limits.handshakeTimeoutMs);
    this.pending.set(key, { source, timer });
    this.open.add(socket);
    socket.once('close', () => {
      this.settle(key);
      this.open.delete(socket);
      this.callers?.delete(key);
    });
    this.injector.injectConnection(socket);
  }

  /** The handshake of `key` ended (done, failed or cut): it no longer counts as pending. */
  private settle(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(key);
    const n = (this.perSource.get(p.source) ?? 1) - 1;
    if (n <= 0) this.perSource.delete(p.source);
    else this.perSource.set(p.source, n);
  }

  /**
   * grpc-js keeps the tls.Server behind the injector to itself; it is the only place the end of a
   * handshake is announced ('secureConnection', 'tlsClientError'). The TLS socket shares the raw
   * socket's address and port, which is how the two are matched.
   */
  private watchHandshakes(server: grpc.Server): void {
    const servers = (server as unknown as { http2Servers?: Map<unknown, unknown> }).http2Servers;
    const tlsServer = servers instanceof Map ? ([...servers.keys()].pop() as EventEmitter | undefined) : undefined;
    if (!tlsServer || typeof tlsServer.on !== 'function') {
      throw new InternalError(
        'cannot watch TLS handshakes: this @grpc/grpc-js version hides its TLS server; install the version in package-lock.json',
      );
    }
    tlsServer.on('secureConnection', (s: TLSSocket) => {
      const key = keyOf(s);
      this.settle(key);
      // Only a connection verified by the CA and still open; either socket's close removes the entry.
      if (this.callers && s.authorized && !s.destroyed) {
        const cert = s.getPeerCertificate();
        const caller = cert.raw ? callerOfCertificate(cert) : undefined;
        if (caller) {
          this.callers.set(key, caller);
          s.once('close', () => this.callers?.delete(key));
        }
      }
    });
    tlsServer.on('tlsClientError', (err: Error, s: Socket) => {
      // A socket we cut at the deadline is counted there already.
      if (!this.pending.has(keyOf(s))) return;
      countHit(this.limitHits, 'handshakeFailed');
      this.warn.note(s.remoteAddress ?? '?', {
        reason: errorMessage(err)
          .replace(/^[0-9A-F]+:error:[0-9A-F]+:SSL routines:/, '')
          .slice(0, 200),
      });
    });
  }
}

const keyOf = (s: Socket): string => `${s.remoteAddress ?? '?'}:${s.remotePort ?? 0}`;
