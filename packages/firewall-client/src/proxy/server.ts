import * as http from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { errorMessage, type Logger } from '@fsso/common';
import type { ProxyConfig } from './config';
import type { GateResult, ProxyGate } from './gate';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and our own: never passed to the origin. */
const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * An explicit HTTP proxy: plain requests (absolute URLs) and CONNECT tunnels. Every request asks
 * the gate first. A 407 keeps the connection open, because NTLM authenticates the connection:
 * the type 3 answer must come on the connection that got the challenge. Node's parser lets go of
 * a socket after a CONNECT, so a challenged CONNECT socket is handed back to the server to parse
 * the client's next request on it.
 */
export class ProxyServer {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly cfg: ProxyConfig,
    private readonly gate: ProxyGate,
    private readonly log: Logger,
  ) {
    this.server = http.createServer({ keepAlive: true }, (req, res) => void this.onRequest(req, res));
    this.server.on('connect', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
      void this.onConnect(req, socket, head);
    });
    this.server.on('connection', (s: Socket) => {
      if (this.sockets.has(s)) return;
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server.on('clientError', (_err, socket: Socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    });
  }

  listen(): Promise<number> {
    const i = this.cfg.listen.lastIndexOf(':');
    const host = this.cfg.listen.slice(0, i).replace(/^\[|\]$/g, '');
    const port = Number(this.cfg.listen.slice(i + 1));
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
      if (target.protocol !== 'http:') throw new Error('not http');
    } catch {
      req.resume();
      return void res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end('this is a proxy: request an absolute http:// URL, or CONNECT host:port\n');
    }
    const verdict = await this.gate.check(req.socket, req.headers['proxy-authorization']);
    if (verdict.kind !== 'pass') {
      req.resume(); // the body must be read for the connection to carry the next request
      const { status, headers, body } = refusal(verdict);
      return void res.writeHead(status, headers).end(body);
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && v !== undefined) headers[k] = v;
    const up = http.request(
      {
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port || 80,
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers,
        timeout: this.cfg.connectTimeoutMs,
      },
      (ur) => {
        const out: http.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(ur.headers)) if (!HOP.has(k) && v !== undefined) out[k] = v;
        res.writeHead(ur.statusCode ?? 502, out);
        ur.pipe(res);
      },
    );
    up.on('timeout', () => up.destroy(new Error(`no connection within ${this.cfg.connectTimeoutMs} ms`)));
    up.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`${errorMessage(err)}\n`);
      else res.destroy();
    });
    req.pipe(up);
  }

  private async onConnect(req: http.IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(req.url ?? '');
    if (!m) return void socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    const verdict = await this.gate.check(socket, req.headers['proxy-authorization']);
    if (verdict.kind !== 'pass') {
      const { status, headers, body } = refusal(verdict);
      const lines = Object.entries(headers).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}: ${x}`));
      socket.write(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n${lines.join('\r\n')}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      if (status !== 407) return void socket.end();
      // The next request on this connection carries the answer: parse it as a new one.
      if (head.length) socket.unshift(head);
      this.server.emit('connection', socket);
      return;
    }
    const host = (m[1] ?? '').replace(/^\[|\]$/g, '');
    const up = connect({ host, port: Number(m[2]), timeout: this.cfg.connectTimeoutMs });
    up.once('connect', () => {
      up.setTimeout(0);
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    const fail = (why: string): void => {
      this.log.debug('CONNECT failed', { target: req.url, error: why });
      if (socket.writable) socket.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n`);
      up.destroy();
    };
    up.once('timeout', () => fail('timeout'));
    up.once('error', (err) => fail(err.message));
    socket.once('close', () => up.destroy());
  }
}

function refusal(v: Exclude<GateResult, { kind: 'pass' }>): {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
} {
  if (v.kind === 'challenge')
    return {
      status: 407,
      headers: { 'proxy-authenticate': v.headers, 'proxy-connection': 'keep-alive', 'content-type': 'text/plain' },
      body: 'proxy authentication required\n',
    };
  return {
    status: v.kind === 'forbidden' ? 403 : 503,
    headers: { 'content-type': 'text/plain' },
    body: `${v.reason}\n`,
  };
}
