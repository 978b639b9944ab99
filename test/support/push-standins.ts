import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { testPki } from './pki';

/** What a stand-in holds for one address. */
export interface HeldEntry {
  user: string;
  domain: string;
  groups: string[];
  /** 0: no expiry. */
  expiresMs: number;
}

type Answer = { status: number; body: string; type?: string };

let standInCert: { cert: Buffer; key: Buffer } | undefined;

/** One server certificate for every stand-in of the test process (127.0.0.1, from the test CA). */
function certificate(): { cert: Buffer; key: Buffer } {
  if (!standInCert) {
    const c = testPki().issue('collector', 'push-standin');
    standInCert = { cert: readFileSync(c.cert), key: readFileSync(c.key) };
  }
  return standInCert;
}

/**
 * An HTTPS server speaking one firewall's documented identity API, strictly: anything malformed
 * is refused with that API's error answer. These are stand-ins (PAN-OS and Check Point cannot run
 * here), so the tests see retries, batching limits and a "reboot" (`forget`). The certificate is
 * from the test PKI (127.0.0.1), so clients verify it against the test CA.
 */
export abstract class StandIn {
  readonly table = new Map<string, HeldEntry>();
  requests = 0;
  /** Entries (operations) in each request, in order. */
  readonly batchSizes: number[] = [];
  inFlight = 0;
  maxInFlight = 0;
  refused: string[] = [];
  private failing = 0;
  private server: Server | undefined;
  port = 0;
  /** Delay before each answer, so concurrent requests overlap. */
  delayMs = 0;

  constructor(readonly secret: string) {}

  /** Answers the next `n` requests with the API's "busy" error. */
  failNext(n: number): void {
    this.failing = n;
  }

  /** The firewall "rebooted": its table is gone. */
  forget(): void {
    this.table.clear();
  }

  /** Live entries (expired ones dropped), by address. */
  live(): Record<string, HeldEntry> {
    const now = Date.now();
    for (const [ip, e] of this.table) if (e.expiresMs && e.expiresMs < now) this.table.delete(ip);
    return Object.fromEntries([...this.table].sort(([a], [b]) => a.localeCompare(b)));
  }

  async start(port = 0): Promise<number> {
    const server = createServer(certificate(), (req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const a = server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    return this.port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    this.requests++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    let a: Answer;
    if (this.failing > 0) {
      this.failing--;
      a = this.busy();
    } else a = this.answer(req, Buffer.concat(chunks).toString('utf8'));
    this.inFlight--;
    if (a.status !== 200) this.refused.push(`${a.status} ${a.body}`);
    res.writeHead(a.status, { 'content-type': a.type ?? 'application/json' }).end(a.body);
  }

  protected abstract answer(req: IncomingMessage, body: string): Answer;
  protected abstract busy(): Answer;
}

const ENTRY_LOGIN = /^<entry name="([^"<>]+)" ip="([^"<>]+)" timeout="(\d+)"\/>/;
const ENTRY_LOGOUT = /^<entry name="([^"<>]+)" ip="([^"<>]+)"\/>/;
const ENTRY_TAGS = /^<entry user="([^"<>]+)"><tag>((?:<member(?: timeout="\d+")?>[^<>]+<\/member>)+)<\/tag><\/entry>/;

function unescapeXml(s: string): string {
  return s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
}

/** PAN-OS XML API `type=user-id` (uid-message 2.0): login, logout, register-user, unregister-user. */
export class PanosStandIn extends StandIn {
  /** Entries a uid-message may carry (our limit for the test; PAN-OS's is far larger). */
  maxEntries = 1000;
  readonly tags = new Map<string, Set<string>>();

  protected busy(): Answer {
    return { status: 503, body: '', type: 'text/html' };
  }

  private error(code: number, msg: string, http = 200): Answer {
    return {
      status: http,
      type: 'application/xml',
      body: `<response status="error" code="${code}"><result><msg>${msg}</msg></result></response>`,
    };
  }

  protected answer(req: IncomingMessage, body: string): Answer {
    if (req.method !== 'POST' || req.url !== '/api/') return this.error(400, 'Bad request', 400);
    if (req.headers['x-pan-key'] !== this.secret) return this.error(403, 'Invalid Credential', 403);
    if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') return this.error(400, 'Bad request', 400);
    const form = new URLSearchParams(body);
    if (form.get('type') !== 'user-id' || [...form.keys()].sort().join() !== 'cmd,type')
      return this.error(17, 'Invalid command');
    const m =
      /^<uid-message><version>2\.0<\/version><type>update<\/type><payload>(?:<login>(.*?)<\/login>)?(?:<logout>(.*?)<\/logout>)?(?:<register-user>(.*?)<\/register-user>)?(?:<unregister-user>(.*?)<\/unregister-user>)?<\/payload><\/uid-message>$/s.exec(
        form.get('cmd') ?? '',
      );
    if (!m) return this.error(18, 'Malformed command');
    const take = (text: string | undefined, re: RegExp): RegExpExecArray[] | undefined => {
      const out: RegExpExecArray[] = [];
      let rest = text ?? '';
      while (rest) {
        const e = re.exec(rest);
        if (!e) return undefined;
        out.push(e);
        rest = rest.slice(e[0].length);
      }
      return out;
    };
    const logins = take(m[1], ENTRY_LOGIN);
    const logouts = take(m[2], ENTRY_LOGOUT);
    const reg = take(m[3], ENTRY_TAGS);
    const unreg = take(m[4], ENTRY_TAGS);
    if (!logins || !logouts || !reg || !unreg) return this.error(18, 'Malformed command');
    const n = logins.length + logouts.length;
    if (n === 0 && reg.length === 0 && unreg.length === 0) return this.error(18, 'Malformed command: empty payload');
    if (n > this.maxEntries) return this.error(18, `Too many entries (${n} > ${this.maxEntries})`);
    for (const e of [...logins, ...logouts]) if (!isIP(e[2] ?? '')) return this.error(18, `Invalid ip ${e[2]}`);
    this.batchSizes.push(n);
    // Processed in the documented order: login, then logout.
    for (const e of logins) {
      const [user, domain] = splitName(unescapeXml(e[1] ?? ''));
      const minutes = Number(e[3]);
      const prev = this.table.get(e[2] ?? '');
      this.table.set(e[2] ?? '', {
        user,
        domain,
        groups: prev?.user === user ? prev.groups : [],
        expiresMs: minutes ? Date.now() + minutes * 60_000 : 0,
      });
    }
    for (const e of logouts) {
      const held = this.table.get(e[2] ?? '');
      const [user, domain] = splitName(unescapeXml(e[1] ?? ''));
      if (held && held.user === user && held.domain === domain) this.table.delete(e[2] ?? '');
    }
    const members = (t: string): string[] =>
      [...t.matchAll(/<member(?: timeout="\d+")?>([^<>]+)<\/member>/g)].map((x) => unescapeXml(x[1] ?? ''));
    for (const e of reg) {
      const set = this.tags.get(unescapeXml(e[1] ?? '')) ?? new Set<string>();
      for (const t of members(e[2] ?? '')) set.add(t);
      this.tags.set(unescapeXml(e[1] ?? ''), set);
    }
    for (const e of unreg) for (const t of members(e[2] ?? '')) this.tags.get(unescapeXml(e[1] ?? ''))?.delete(t);
    return {
      status: 200,
      type: 'application/xml',
      body: '<response status="success"><result><uid-response><version>2.0</version><payload></payload></uid-response></result></response>',
    };
  }
}

function splitName(name: string): [string, string] {
  const i = name.indexOf('\\');
  return i < 0 ? [name, ''] : [name.slice(i + 1), name.slice(0, i)];
}

const ADD_KEYS = new Set([
  'ip-address',
  'user',
  'machine',
  'domain',
  'user-groups',
  'roles',
  'session-timeout',
  'fetch-user-groups',
  'calculate-roles',
  'identity-source',
]);

/** Check Point Identity Awareness Web API v1.0, bulk `add-identity` / `delete-identity`. */
export class CheckpointStandIn extends StandIn {
  maxRequests = 100;

  protected busy(): Answer {
    return { status: 503, body: JSON.stringify({ message: 'Service temporarily unavailable' }) };
  }

  private bad(message: string, status = 400): Answer {
    return { status, body: JSON.stringify({ message }) };
  }

  protected answer(req: IncomingMessage, body: string): Answer {
    const cmd = /^\/_IA_API\/v1\.0\/(add-identity|delete-identity)$/.exec(req.url ?? '')?.[1];
    if (req.method !== 'POST' || !cmd) return this.bad('Unknown command', 404);
    if (req.headers['content-type'] !== 'application/json') return this.bad('Content-Type must be application/json');
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return this.bad('Malformed JSON');
    }
    if (o['shared-secret'] !== this.secret) return this.bad('Access denied: wrong shared secret', 403);
    const reqs = o['requests'];
    if (Object.keys(o).sort().join() !== 'requests,shared-secret' || !Array.isArray(reqs) || reqs.length === 0)
      return this.bad('Expected "shared-secret" and a non-empty "requests" list');
    if (reqs.length > this.maxRequests) return this.bad(`Too many requests in one call (${reqs.length})`);
    for (const r of reqs as Record<string, unknown>[]) {
      const ip = r['ip-address'];
      if (typeof ip !== 'string' || !isIP(ip)) return this.bad(`Invalid ip-address ${JSON.stringify(ip)}`);
      if (cmd === 'delete-identity' && Object.keys(r).some((k) => k !== 'ip-address' && k !== 'revoke-method'))
        return this.bad('delete-identity takes ip-address (and revoke-method)');
      if (cmd === 'add-identity') {
        const unknown = Object.keys(r).find((k) => !ADD_KEYS.has(k));
        if (unknown) return this.bad(`Unknown parameter: ${unknown}`);
        if (typeof r['user'] !== 'string' || r['user'] === '') return this.bad('Missing user');
        const g = r['user-groups'];
        if (g !== undefined && (!Array.isArray(g) || g.some((x) => typeof x !== 'string')))
          return this.bad('user-groups must be a list of strings');
        const t = r['session-timeout'];
        if (t !== undefined && (typeof t !== 'number' || !Number.isInteger(t) || t < 1))
          return this.bad('session-timeout must be a positive number of seconds');
      }
    }
    this.batchSizes.push(reqs.length);
    const responses = (reqs as Record<string, unknown>[]).map((r) => {
      const ip = String(r['ip-address']);
      const fam = isIP(ip) === 6 ? 'ipv6-address' : 'ipv4-address';
      if (cmd === 'delete-identity') {
        const had = this.table.delete(ip);
        return { count: had ? '1' : '0', [fam]: ip, message: 'Disassociation sent to PDP.' };
      }
      const t = typeof r['session-timeout'] === 'number' ? r['session-timeout'] : 43200;
      this.table.set(ip, {
        user: String(r['user']),
        domain: typeof r['domain'] === 'string' ? r['domain'] : '',
        groups: (r['user-groups'] as string[] | undefined) ?? [],
        expiresMs: Date.now() + t * 1000,
      });
      return { [fam]: ip, message: 'Association sent to PDP.' };
    });
    return { status: 200, body: JSON.stringify({ responses }) };
  }
}

/** The JSON-RPC 2.0 receiver our docs describe: a batch of Start/Stop calls, Bearer token. */
export class WebhookStandIn extends StandIn {
  protected busy(): Answer {
    return { status: 503, body: '' };
  }

  protected answer(req: IncomingMessage, body: string): Answer {
    if (req.method !== 'POST' || req.url !== '/fsso') return { status: 404, body: '' };
    if (req.headers['authorization'] !== `Bearer ${this.secret}`) return { status: 401, body: '' };
    let calls: unknown;
    try {
      calls = JSON.parse(body);
    } catch {
      return {
        status: 200,
        body: JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }),
      };
    }
    if (!Array.isArray(calls) || calls.length === 0)
      return {
        status: 200,
        body: JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } }),
      };
    this.batchSizes.push(calls.length);
    const answers = (calls as Record<string, unknown>[]).map((c) => {
      const id = c['id'];
      const p = c['params'] as Record<string, unknown> | undefined;
      const bad = (message: string): unknown => ({ jsonrpc: '2.0', id, error: { code: -32602, message } });
      if (c['jsonrpc'] !== '2.0' || typeof id !== 'number')
        return { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } };
      if (typeof p !== 'object' || p === null || typeof p['ip'] !== 'string' || !isIP(p['ip'])) return bad('params.ip');
      if (typeof p['user'] !== 'string' || typeof p['domain'] !== 'string') return bad('params.user/domain');
      if (c['method'] === 'Start') {
        if (!Array.isArray(p['groups']) || typeof p['timeout'] !== 'number') return bad('params.groups/timeout');
        this.table.set(p['ip'], {
          user: p['user'],
          domain: p['domain'],
          groups: p['groups'] as string[],
          expiresMs: Date.now() + p['timeout'] * 1000,
        });
      } else if (c['method'] === 'Stop') this.table.delete(p['ip']);
      else return { jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } };
      return { jsonrpc: '2.0', id, result: 'ok' };
    });
    return { status: 200, body: JSON.stringify(answers) };
  }
}
