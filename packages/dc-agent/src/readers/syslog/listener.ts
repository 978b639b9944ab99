import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { ConfigError, SERVER_CIPHERS, errorMessage, parseAddress, type Logger } from '@fsso/common';
import {
  applyProfiles,
  compileProfiles,
  parseSyslogMessage,
  type AgentEvent,
  type CompiledProfile,
  type SyslogProfile,
} from '@fsso/formats';
import { SyslogFrameDecoder, isBinary } from './framing';
import { SenderGate, parseAllowFrom } from './sender-gate';

/** Syslog over TLS (RFC 5425): the listener's certificate, and the CA its senders' certificates must chain to. */
export interface SyslogTlsOptions {
  /** "host:port"; RFC 5425's port is 6514. */
  listen: string;
  /** PEM of the CA(s) that sign the senders' client certificates; a sender without one is refused. */
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export interface SyslogListenerOptions {
  /** "host:port" for UDP, e.g. "127.0.0.1:5514" or "[::]:514". */
  udp?: string;
  /** "host:port" for TCP (RFC 6587 octet-counted or LF-terminated frames). */
  tcp?: string;
  /** Syslog over TLS with client certificates (RFC 5425; octet-counted or LF frames). */
  tls?: SyslogTlsOptions;
  /**
   * Sender addresses or networks ("10.0.0.0/8", "127.0.0.1"); datagrams and connections from any
   * other address are dropped, counted and logged. Required: syslog has no authentication.
   */
  allowFrom: readonly string[];
  profiles: SyslogProfile[];
  /** Longest message accepted; a longer TCP frame closes its connection. @default 8192 */
  maxMessageBytes?: number;
  /** Concurrent TCP connections; more are refused. @default 256 */
  maxConnections?: number;
  /** A TCP connection silent this long is closed (senders reconnect). @default 600000 */
  idleTimeoutMs?: number;
  /** Parse options: the domain for accounts that name none. */
  defaultDomain?: string;
}

export interface SyslogListenerStats {
  messages: number;
  events: number;
  skipped: Record<string, number>;
  /** Datagrams dropped and TCP connections closed for a message over maxMessageBytes. */
  oversized: number;
  /** Binary data (TLS to a plaintext port, noise): datagrams dropped, connections closed. */
  garbage: number;
  /** TCP connections refused because maxConnections were open. */
  refused: number;
  /** Datagrams dropped and connections closed because the sender is not in allowFrom. */
  denied: number;
  /** TLS connections whose handshake failed: no client certificate, one from another CA, no TLS. */
  tlsRefused: number;
}

// Skip reasons name values in parentheses; the counters keep one key per reason, and a bounded
// number of them, so a peer cannot grow the map.
const MAX_SKIP_KEYS = 200;

/**
 * Receives syslog over UDP, TCP and/or TLS from the senders in allowFrom, and hands the events of
 * every message to `sink`.
 */
export class SyslogListener {
  readonly stats: SyslogListenerStats = {
    messages: 0,
    events: 0,
    skipped: {},
    oversized: 0,
    garbage: 0,
    refused: 0,
    denied: 0,
    tlsRefused: 0,
  };
  private readonly profiles: CompiledProfile[];
  private readonly maxBytes: number;
  private readonly gate: SenderGate;
  private readonly sockets = new Set<net.Socket>();
  private udpSocket: dgram.Socket | undefined;
  private tcpServer: net.Server | undefined;
  private tlsServer: tls.Server | undefined;

  constructor(
    private readonly opts: SyslogListenerOptions,
    private readonly sink: (events: AgentEvent[]) => void,
    private readonly log: Logger,
  ) {
    if (opts.udp === undefined && opts.tcp === undefined && opts.tls === undefined) {
      throw new ConfigError(
        'syslog: set "udp", "tcp" or "tls" to an address like "0.0.0.0:514" ("tls": {"listen": "0.0.0.0:6514", ...})',
        'udp',
      );
    }
    this.gate = new SenderGate(parseAllowFrom(opts.allowFrom, 'allowFrom'), log);
    this.profiles = compileProfiles(opts.profiles);
    this.maxBytes = opts.maxMessageBytes ?? 8192;
  }

  async start(): Promise<{ udpPort?: number; tcpPort?: number; tlsPort?: number }> {
    const out: { udpPort?: number; tcpPort?: number; tlsPort?: number } = {};
    try {
      if (this.opts.udp !== undefined) out.udpPort = await this.startUdp(splitAddress(this.opts.udp, 'udp'));
      if (this.opts.tcp !== undefined) out.tcpPort = await this.startTcp(splitAddress(this.opts.tcp, 'tcp'));
      if (this.opts.tls !== undefined)
        out.tlsPort = await this.startTls(splitAddress(this.opts.tls.listen, 'tls.listen'), this.opts.tls);
    } catch (err: unknown) {
      // Half-started (UDP bound, TCP port taken) must not leave the UDP port held.
      await this.stop();
      throw err;
    }
    return out;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const servers = [this.tcpServer, this.tlsServer];
    const udp = this.udpSocket;
    this.tcpServer = undefined;
    this.tlsServer = undefined;
    this.udpSocket = undefined;
    for (const server of servers) if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
  }

  private startUdp(addr: { host: string; port: number }): Promise<number> {
    const socket = dgram.createSocket(net.isIP(addr.host) === 6 ? 'udp6' : 'udp4');
    this.udpSocket = socket;
    socket.on('message', (buf: Buffer, rinfo: dgram.RemoteInfo) => {
      if (!this.gate.allows(rinfo.address)) this.deny(rinfo.address, 'udp');
      else if (buf.length > this.maxBytes) this.stats.oversized++;
      else if (isBinary(buf.subarray(0, trimEnd(buf)))) this.stats.garbage++;
      else this.handle(buf.toString('utf8'), rinfo.address);
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(addr.port, addr.host, () => {
        socket.off('error', reject);
        socket.on('error', (err: Error) => this.log.warn('syslog UDP socket error', { error: err.message }));
        resolve(socket.address().port);
      });
    });
  }

  private startTcp(addr: { host: string; port: number }): Promise<number> {
    const server = net.createServer((socket) => {
      if (this.gate.allows(socket.remoteAddress ?? '')) this.accept(socket);
      else {
        this.deny(socket.remoteAddress ?? '', 'tcp');
        socket.destroy();
      }
    });
    this.tcpServer = server;
    return this.listenOn(server, addr, 'TCP');
  }

  /**
   * RFC 5425: TLS over TCP, the sender's certificate required and verified against `ca`, suites
   * as for gRPC (TLS 1.2 AEAD only, TLS 1.3). allowFrom is checked before any TLS work.
   */
  private startTls(addr: { host: string; port: number }, t: SyslogTlsOptions): Promise<number> {
    const context = {
      ca: t.ca,
      cert: t.cert,
      key: t.key,
      minVersion: 'TLSv1.2',
      ciphers: SERVER_CIPHERS,
      honorCipherOrder: true,
    } as const;
    try {
      tls.createSecureContext(context); // to name the problem; createServer's own error does not
    } catch (err: unknown) {
      throw new ConfigError(
        `tls: cannot use tls.ca/cert/key (${errorMessage(err)}); give PEM files of the CA, and of this listener's certificate and its private key`,
        'tls',
      );
    }
    const server = tls.createServer(
      {
        ...context,
        // rejectUnauthorized is false so that refusals reach us to be counted and logged (Node
        // otherwise drops them silently); the check below admits only verified senders.
        requestCert: true,
        rejectUnauthorized: false,
        handshakeTimeout: 10_000,
      },
      (socket) => {
        if (socket.authorized) return this.accept(socket);
        this.stats.tlsRefused++;
        const why = socket.authorizationError ? String(socket.authorizationError) : 'no client certificate';
        this.gate.refused(
          socket.remoteAddress ?? '',
          'syslog TLS sender refused: a client certificate from the configured CA is required',
          { error: why },
        );
        socket.destroy();
      },
    );
    server.prependListener('connection', (raw: net.Socket) => {
      if (this.gate.allows(raw.remoteAddress ?? '')) return;
      this.deny(raw.remoteAddress ?? '', 'tls');
      raw.destroy();
    });
    server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      const peer = socket.remoteAddress ?? '';
      if (!this.gate.allows(peer)) return; // already counted as denied
      this.stats.tlsRefused++;
      this.gate.refused(peer, 'syslog TLS handshake failed', { error: err.message });
    });
    this.tlsServer = server;
    return this.listenOn(server, addr, 'TLS');
  }

  private listenOn(server: net.Server, addr: { host: string; port: number }, what: string): Promise<number> {
    server.maxConnections = this.opts.maxConnections ?? 256;
    server.on('drop', () => this.stats.refused++);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(addr.port, addr.host, () => {
        server.off('error', reject);
        server.on('error', (err: Error) => this.log.warn(`syslog ${what} server error`, { error: err.message }));
        const bound = server.address();
        resolve(typeof bound === 'object' && bound !== null ? bound.port : addr.port);
      });
    });
  }

  private accept(socket: net.Socket): void {
    const peer = socket.remoteAddress ?? '';
    const decoder = new SyslogFrameDecoder(this.maxBytes);
    this.sockets.add(socket);
    socket.setTimeout(this.opts.idleTimeoutMs ?? 600_000, () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (err: Error) => this.log.debug('syslog TCP connection error', { peer, error: err.message }));
    socket.on('data', (chunk: Buffer) => {
      const out = decoder.push(chunk);
      for (const m of out.messages) this.handle(m, peer);
      if (out.error !== undefined) {
        this.stats[out.error]++;
        this.log.warn(
          `syslog TCP peer sent ${out.error === 'oversized' ? `a frame over ${this.maxBytes} bytes` : 'binary data'}; connection closed`,
          { peer },
        );
        socket.destroy();
      }
    });
  }

  private deny(peer: string, transport: string): void {
    this.stats.denied++;
    this.gate.refused(peer, 'syslog sender not in allowFrom: dropped', { transport, deniedTotal: this.stats.denied });
  }

  /** One message: parse, map, count, deliver. The sender's address stands in for a missing host. */
  private handle(text: string, peer: string): void {
    this.stats.messages++;
    const msg = parseSyslogMessage(text);
    if (msg.host === '') msg.host = peer;
    const result = applyProfiles(this.profiles, msg, { defaultDomain: this.opts.defaultDomain ?? '' });
    if (result.events.length === 0) {
      this.countSkip(result.skipped ?? 'no events');
      return;
    }
    this.stats.events += result.events.length;
    try {
      this.sink(result.events);
    } catch (err: unknown) {
      this.log.error('syslog sink failed', { error: errorMessage(err) });
    }
  }

  private countSkip(reason: string): void {
    const skipped = this.stats.skipped;
    let key = reason.replace(/ \(.*\)$/, '');
    if (!(key in skipped) && Object.keys(skipped).length >= MAX_SKIP_KEYS) key = 'other';
    skipped[key] = (skipped[key] ?? 0) + 1;
  }
}

/** Length without trailing CR, LF and NUL, which many senders append to a datagram. */
function trimEnd(buf: Buffer): number {
  let n = buf.length;
  while (n > 0 && (buf[n - 1] === 0x0a || buf[n - 1] === 0x0d || buf[n - 1] === 0x00)) n--;
  return n;
}

/** "host:port" (IPv6 in brackets) as the listener binds it; errors name the option. */
export function splitAddress(value: string, field: string): { host: string; port: number } {
  const text = parseAddress(value, field);
  const cut = text.lastIndexOf(':');
  return { host: text.slice(0, cut).replace(/^\[(.*)\]$/, '$1'), port: Number(text.slice(cut + 1)) };
}
