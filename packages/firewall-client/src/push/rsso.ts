import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { setMaxListeners } from 'node:events';
import { isIPv6 } from 'node:net';
import * as radius from 'radius';
import type { PushTargetConfig } from './config';
import { accountName, type Outcome, type PushDriver, type PushIdentity, type PushOp } from './types';

/** RFC 6911; not in the radius package's dictionaries, so it is sent as raw octets. */
const FRAMED_IPV6_ADDRESS = 168;
/** An attribute value holds at most 253 octets (RFC 2865 5). */
const MAX_VALUE = 253;

type Status = 'Start' | 'Stop' | 'Interim-Update';

/**
 * FortiGate RSSO: RADIUS accounting (RFC 2866) over UDP. Start for a logon (a resync too),
 * Interim-Update for a refresh, Stop for a logoff; a changed user or group set is Stop then
 * Start. The request authenticator is computed by the `radius` package with the shared secret.
 * FortiGate answers accounting only with `rsso-radius-response enable`, so by default a packet
 * counts as delivered once the kernel has sent it (an ICMP port-unreachable still fails the next
 * send); with `response: true` each packet waits for an Accounting-Response whose authenticator
 * verifies with the secret.
 */
export class RssoDriver implements PushDriver {
  private readonly socket: Socket;
  private readonly host: string;
  private readonly port: number;
  private ready: Promise<void>;
  private nextId = 0;
  private readonly waiting = new Map<number, { request: Buffer; done: (r: Buffer) => void }>();
  private socketError: Error | undefined;

  constructor(
    private readonly cfg: PushTargetConfig,
    private readonly nasIdentifier = 'fsso',
  ) {
    const m = /^\[?([^\]]+)\]?:(\d+)$/.exec(cfg.address);
    this.host = m?.[1] ?? cfg.address;
    this.port = Number(m?.[2] ?? 1813);
    this.socket = createSocket(isIPv6(this.host) ? 'udp6' : 'udp4');
    this.socket.on('message', (msg) => {
      const w = this.waiting.get(msg[1] ?? -1);
      if (w) w.done(msg);
    });
    // A connected UDP socket reports ICMP port-unreachable as an error on a later send.
    this.socket.on('error', (e) => (this.socketError = e));
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.connect(this.port, this.host, () => {
        this.socket.off('error', reject);
        resolve();
      });
    });
    this.ready.catch(() => undefined);
  }

  async send(ops: readonly PushOp[], signal: AbortSignal): Promise<Outcome> {
    try {
      await this.ready;
    } catch (err) {
      this.ready = Promise.reject(err as Error);
      this.ready.catch(() => undefined);
      return {
        status: 'retryable',
        error: `cannot reach ${this.cfg.address}: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    // Every packet of the batch waits on the one request signal.
    setMaxListeners(2 * ops.length + 10, signal);
    try {
      // Each address's packets in order (Stop before Start); addresses side by side.
      await Promise.all(ops.map((o) => this.sendOp(o, signal)));
      return { status: 'success' };
    } catch (err) {
      return { status: 'retryable', error: err instanceof Error ? err.message : String(err) };
    }
  }

  private async sendOp(o: PushOp, signal: AbortSignal): Promise<void> {
    if (o.op === 'logout') return this.packet('Stop', o.id, signal);
    if (o.prev) await this.packet('Stop', o.prev, signal);
    return this.packet(o.refresh ? 'Interim-Update' : 'Start', o.id, signal);
  }

  /** The accounting request for one identity; exported for tests through `encodeAccounting`. */
  private async packet(status: Status, id: PushIdentity, signal: AbortSignal): Promise<void> {
    const identifier = this.freeIdentifier();
    const packet = encodeAccounting(status, id, this.cfg, identifier, this.nasIdentifier);
    const answered = this.cfg.response ? this.awaitResponse(identifier, packet, signal) : undefined;
    await new Promise<void>((resolve, reject) =>
      this.socket.send(packet, (err) => {
        const e = err ?? this.takeSocketError();
        if (e) reject(new Error(sendError(this.cfg.address, e)));
        else resolve();
      }),
    ).catch((e: unknown) => {
      this.waiting.delete(identifier);
      throw e;
    });
    if (answered) await answered;
  }

  private takeSocketError(): Error | undefined {
    const e = this.socketError;
    this.socketError = undefined;
    return e;
  }

  private freeIdentifier(): number {
    for (let i = 0; i < 256; i++) {
      const id = (this.nextId + i) % 256;
      if (!this.waiting.has(id)) {
        this.nextId = (id + 1) % 256;
        return id;
      }
    }
    // Only with `response` can all 256 be waiting; the request timeout frees them.
    return this.nextId;
  }

  private awaitResponse(identifier: number, request: Buffer, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (): void => {
        this.waiting.delete(identifier);
        reject(
          new Error(
            `no valid Accounting-Response from ${this.cfg.address} within the request timeout; a FortiGate drops packets signed with another shared secret (check the secret), or set "response": false if it has rsso-radius-response disable`,
          ),
        );
      };
      if (signal.aborted) return fail();
      signal.addEventListener('abort', fail, { once: true });
      this.waiting.set(identifier, {
        request,
        done: (response) => {
          // A response that does not verify is ignored (as RFC 2865 says); the timeout reports it.
          if (!radius.verify_response({ request, response, secret: this.cfg.secret ?? '' })) return;
          signal.removeEventListener('abort', fail);
          this.waiting.delete(identifier);
          resolve();
        },
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** Acct-Session-Id: the same for an address's Start, Interim-Updates and Stop, and another for the next user. */
export function sessionId(id: PushIdentity): string {
  return createHash('sha256').update(`${id.ip}\0${id.domain}\0${id.user}`).digest('hex').slice(0, 16);
}

/** The groups joined by the delimiter, in as many Class attributes as 253 octets each need. */
export function classValues(groups: readonly string[], delimiter: string): Buffer[] {
  const out: Buffer[] = [];
  let cur = '';
  for (const g of groups) {
    const next = cur ? `${cur}${delimiter}${g}` : g;
    if (Buffer.byteLength(next) <= MAX_VALUE) cur = next;
    else {
      if (cur) out.push(Buffer.from(cur));
      cur = Buffer.byteLength(g) <= MAX_VALUE ? g : Buffer.from(g).subarray(0, MAX_VALUE).toString();
    }
  }
  if (cur) out.push(Buffer.from(cur));
  return out;
}

export function encodeAccounting(
  status: Status,
  id: PushIdentity,
  cfg: PushTargetConfig,
  identifier: number,
  nasIdentifier: string,
): Buffer {
  const v6 = isIPv6(id.ip);
  const attributes: [string | number, string | number | Buffer][] = [
    ['Acct-Status-Type', status],
    ['User-Name', accountName(id)],
    v6 ? [FRAMED_IPV6_ADDRESS, ipv6Bytes(id.ip)] : ['Framed-IP-Address', id.ip],
    ...classValues(id.groups, cfg.delimiter).map((c): [string, Buffer] => ['Class', c]),
    ['Acct-Session-Id', sessionId(id)],
    ['Calling-Station-Id', id.ip],
    ['NAS-Identifier', nasIdentifier],
  ];
  return radius.encode({ code: 'Accounting-Request', secret: cfg.secret ?? '', identifier, attributes });
}

function ipv6Bytes(ip: string): Buffer {
  const [head = '', tail = ''] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16) || 0, i * 2));
  return b;
}

function sendError(address: string, e: Error): string {
  const code = 'code' in e && typeof e.code === 'string' ? e.code : '';
  if (code === 'ECONNREFUSED')
    return `${address} refused RADIUS accounting (ICMP port unreachable): allow radius-acct on that FortiGate interface`;
  return `sending to ${address} failed: ${e.message}`;
}
