import type { PushTargetConfig } from './config';
import { HttpsPoster } from './https';
import { accountName, type Outcome, type PushDriver, type PushOp } from './types';

/**
 * PAN-OS XML API, `type=user-id`: one `uid-message` per batch with `login` entries (user, ip,
 * timeout in minutes) and `logout` entries, and the groups as dynamic user group tags
 * (`register-user`, with `unregister-user` for groups a user left). Sent as a form POST to
 * `/api/` with the key in the `X-PAN-KEY` header, so it never sits in a URL or a proxy log.
 */
export class PanosDriver implements PushDriver {
  private readonly http: HttpsPoster;

  constructor(private readonly cfg: PushTargetConfig) {
    this.http = new HttpsPoster(cfg);
  }

  async send(ops: readonly PushOp[], signal: AbortSignal): Promise<Outcome> {
    const body = `type=user-id&cmd=${encodeURIComponent(uidMessage(ops, this.cfg.timeoutMs))}`;
    let reply;
    try {
      reply = await this.http.post(
        '/api/',
        body,
        { 'content-type': 'application/x-www-form-urlencoded', 'x-pan-key': this.cfg.secret ?? '' },
        signal,
      );
    } catch (err) {
      return { status: 'retryable', error: err instanceof Error ? err.message : String(err) };
    }
    return panosOutcome(reply.status, reply.body, ops);
  }

  close(): void {
    this.http.close();
  }
}

export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function uidMessage(ops: readonly PushOp[], timeoutMs: number): string {
  // PAN-OS takes whole minutes (0 would mean "never"); round up so an entry never ends early.
  const minutes = Math.max(1, Math.ceil(timeoutMs / 60_000));
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const login: string[] = [];
  const logout: string[] = [];
  const register: string[] = [];
  const unregister: string[] = [];
  const tags = (groups: string[], withTimeout: boolean): string =>
    `<tag>${groups.map((g) => `<member${withTimeout ? ` timeout="${seconds}"` : ''}>${xmlEscape(g)}</member>`).join('')}</tag>`;
  for (const o of ops) {
    const name = xmlEscape(accountName(o.id));
    if (o.op === 'logout') {
      logout.push(`<entry name="${name}" ip="${o.id.ip}"/>`);
      continue;
    }
    login.push(`<entry name="${name}" ip="${o.id.ip}" timeout="${minutes}"/>`);
    if (o.id.groups.length > 0) register.push(`<entry user="${name}">${tags(o.id.groups, true)}</entry>`);
    const prev = o.prev;
    if (prev) {
      const same = accountName(prev) === accountName(o.id);
      const left = same ? prev.groups.filter((g) => !o.id.groups.includes(g)) : [];
      if (left.length > 0) unregister.push(`<entry user="${name}">${tags(left, false)}</entry>`);
    }
  }
  const section = (tag: string, entries: string[]): string =>
    entries.length ? `<${tag}>${entries.join('')}</${tag}>` : '';
  return (
    `<uid-message><version>2.0</version><type>update</type><payload>` +
    section('login', login) +
    section('logout', logout) +
    section('register-user', register) +
    section('unregister-user', unregister) +
    `</payload></uid-message>`
  );
}

/** Error codes after which the same request may succeed later (PAN-OS XML API error codes). */
const RETRY_CODES = new Set(['2', '3', '4', '5', '21', '22']);

/** Reads PAN-OS's `<response status="...">`: success, an error to retry, or a refusal to report. */
export function panosOutcome(httpStatus: number, body: string, ops: readonly PushOp[]): Outcome {
  const status = /<response[^>]*\bstatus="([a-z]+)"/.exec(body)?.[1];
  const code = /<response[^>]*\bcode="(\d+)"/.exec(body)?.[1] ?? '';
  const msg = text(body);
  if (httpStatus === 200 && status === 'success') return { status: 'success' };
  if (httpStatus === 403 || code === '403' || code === '16')
    return {
      status: 'retryable',
      error: `PAN-OS refused the API key (${code || httpStatus}${msg ? `: ${msg}` : ''}); check the key and that its admin role allows the User-ID Agent XML API`,
    };
  if (httpStatus >= 500 || httpStatus === 429 || RETRY_CODES.has(code) || status === undefined)
    return {
      status: 'retryable',
      error: `PAN-OS answered HTTP ${httpStatus}${code ? ` code ${code}` : ''}${msg ? `: ${msg}` : status === undefined ? ': not a PAN-OS API response' : ''}`,
    };
  // A refusal of what we sent (malformed, invalid entries): retrying the same batch cannot help,
  // so its entries are reported as refused; the next refresh tries them again.
  const error = `PAN-OS refused the update (code ${code || httpStatus}${msg ? `: ${msg}` : ''})`;
  return { status: 'success', rejected: ops.map((o) => ({ ip: o.id.ip, error })) };
}

function text(body: string): string {
  const m = /<msg>([\s\S]*?)<\/msg>/.exec(body);
  return (m?.[1] ?? '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}
