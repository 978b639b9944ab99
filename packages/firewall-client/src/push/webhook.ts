import type { PushTargetConfig } from './config';
import { HttpsPoster } from './https';
import { type Outcome, type PushDriver, type PushOp } from './types';

/**
 * A generic receiver: one JSON-RPC 2.0 batch per request, `Start` {user, domain, ip, groups,
 * timeout} for a logon (and a refresh; a Start replaces what the address held) and `Stop` {user,
 * domain, ip} for a logoff. An error object in a call's answer refuses that entry only.
 */
export class WebhookDriver implements PushDriver {
  private readonly http: HttpsPoster;
  private nextId = 1;

  constructor(private readonly cfg: PushTargetConfig) {
    this.http = new HttpsPoster(cfg);
  }

  async send(ops: readonly PushOp[], signal: AbortSignal): Promise<Outcome> {
    const timeout = Math.max(1, Math.ceil(this.cfg.timeoutMs / 1000));
    const calls = ops.map((o) => ({
      jsonrpc: '2.0',
      id: this.nextId++,
      method: o.op === 'login' ? 'Start' : 'Stop',
      params:
        o.op === 'login'
          ? { user: o.id.user, domain: o.id.domain, ip: o.id.ip, groups: o.id.groups, timeout }
          : { user: o.id.user, domain: o.id.domain, ip: o.id.ip },
    }));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.cfg.secret) headers['authorization'] = `Bearer ${this.cfg.secret}`;
    let reply;
    try {
      reply = await this.http.post('', JSON.stringify(calls), headers, signal);
    } catch (err) {
      return { status: 'retryable', error: err instanceof Error ? err.message : String(err) };
    }
    if (reply.status === 401 || reply.status === 403)
      return { status: 'retryable', error: `the webhook refused the token (HTTP ${reply.status}); check its secret` };
    if (reply.status !== 200) return { status: 'retryable', error: `the webhook answered HTTP ${reply.status}` };
    let answers: unknown;
    try {
      answers = JSON.parse(reply.body);
    } catch {
      return { status: 'retryable', error: 'the webhook answered with something that is not JSON' };
    }
    if (!Array.isArray(answers))
      return {
        status: 'retryable',
        error: 'the webhook answered a batch with something other than a JSON-RPC batch (an array)',
      };
    const byId = new Map<unknown, Record<string, unknown>>();
    for (const a of answers)
      if (typeof a === 'object' && a !== null)
        byId.set((a as Record<string, unknown>)['id'], a as Record<string, unknown>);
    const rejected: { ip: string; error: string }[] = [];
    calls.forEach((c, i) => {
      const a = byId.get(c.id);
      const ip = ops[i]?.id.ip ?? '';
      if (!a) rejected.push({ ip, error: `no answer to call ${c.id}` });
      else if (a['error'] !== undefined) {
        const e = a['error'] as Record<string, unknown>;
        rejected.push({ ip, error: `${String(e['code'] ?? '')} ${String(e['message'] ?? '')}`.trim().slice(0, 300) });
      }
    });
    return { status: 'success', rejected };
  }

  close(): void {
    this.http.close();
  }
}
