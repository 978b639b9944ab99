import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ListenError, ConfigError, errorMessage } from '../errors';
import { parseAddress, rejectUnknownKeys } from '../config/values';
import type { Logger } from '../log/logger';

export { Registry, Counter, Gauge, Histogram } from 'prom-client';

/** The `metrics` block of a daemon's config: off unless present. */
export interface MetricsOptions {
  /**
   * Where the Prometheus endpoint (`GET /metrics`) listens. Loopback unless you say otherwise:
   * the counters name domains and agents, which is for the operator's own scraper.
   * @default "127.0.0.1:9464" (collector), "127.0.0.1:9465" (agent)
   */
  listen?: string;
}

/** Validated: `undefined` means no metrics listener. */
export interface MetricsConfig {
  listen: string;
}

/** `metrics: {}` turns the endpoint on at the default address; absent turns it off. */
export function validateMetricsOptions(
  raw: unknown,
  defaultListen: string,
  field = 'metrics',
): MetricsConfig | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(
      `${field}: expected an object like {"listen": "${defaultListen}"}, or leave it out for no metrics endpoint`,
      field,
    );
  }
  const o = raw as Record<string, unknown>;
  rejectUnknownKeys(o, ['listen'], field);
  return { listen: parseAddress(o['listen'] ?? defaultListen, `${field}.listen`) };
}

/** True for 127.0.0.0/8, ::1 and localhost: the hosts where an open endpoint is only ours. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** A plain HTTP listener that serves one registry at /metrics (and nothing else). */
export class MetricsEndpoint {
  private server: Server | undefined;
  private boundPort = 0;

  constructor(
    private readonly registry: Registry,
    private readonly cfg: MetricsConfig,
    private readonly log: Logger,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  /** Binds; a taken port is an error naming the address and the setting, like the gRPC port. */
  async start(): Promise<number> {
    const m = /^(.*):(\d+)$/.exec(this.cfg.listen);
    const host = (m?.[1] ?? '127.0.0.1').replace(/^\[|\]$/g, '');
    const port = Number(m?.[2] ?? 0);
    if (!isLoopbackHost(host))
      this.log.warn(
        'metrics.listen is not a loopback address: anyone who reaches it reads the counters; put it behind a firewall or a reverse proxy',
        { listen: this.cfg.listen },
      );
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' || path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at GET /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: unknown) =>
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${errorMessage(err)}\n`),
      );
    });
    // A scraper that holds a connection open must not keep a stopping daemon alive.
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          new ListenError(
            `metrics.listen ${this.cfg.listen}: ${err.code === 'EADDRINUSE' ? 'the address is already in use' : errorMessage(err)}; pick a free port in "metrics.listen"`,
            this.cfg.listen,
          ),
        );
      });
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.log.info('metrics listening', {
      address: `${this.cfg.listen.replace(/:\d+$/, '')}:${this.boundPort}`,
      path: '/metrics',
    });
    return this.boundPort;
  }

  stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}
