import { Agent, request } from 'node:https';
import type { PushTargetConfig } from './config';

export interface HttpsReply {
  status: number;
  body: string;
}

/** Answers larger than this are not ours to read (every documented answer is a few KiB). */
const MAX_REPLY_BYTES = 1 << 20;

/**
 * POSTs to an HTTPS target whose certificate must verify against the target's `tls.ca` (and match
 * its host name, or `tls.servername`); there is deliberately no switch to skip that. One keep-alive
 * agent per target, sized to its concurrency, so batches reuse connections.
 */
export class HttpsPoster {
  private readonly agent: Agent;

  constructor(private readonly cfg: PushTargetConfig) {
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: cfg.concurrency,
      ca: cfg.ca,
      servername: cfg.servername,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    });
  }

  /** Resolves with the answer, or rejects with a message that names the problem (never the request body). */
  post(path: string, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<HttpsReply> {
    const url = new URL(this.cfg.address + path);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          signal,
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_REPLY_BYTES) {
              req.destroy(new Error(`the answer is larger than ${MAX_REPLY_BYTES} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (e) => reject(new Error(describe(url, e))));
        },
      );
      req.on('error', (e) => reject(new Error(describe(url, e, signal))));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function describe(url: URL, e: Error, signal?: AbortSignal): string {
  const code = 'code' in e && typeof e.code === 'string' ? e.code : '';
  const at = `${url.host}`;
  if (signal?.aborted) return `no answer from ${at} within the request timeout`;
  if (code === 'ECONNREFUSED') return `cannot connect to ${at} (connection refused): is the API enabled there?`;
  if (code.startsWith('ERR_TLS') || /certificate|self.signed|UNABLE_TO|CERT_/i.test(`${code} ${e.message}`))
    return `TLS: the certificate of ${at} does not verify against tls.ca (${code || e.message}); give the CA that signed it`;
  return `${at}: ${e.message}${code && !e.message.includes(code) ? ` (${code})` : ''}`;
}
