import type { PushTargetConfig } from './config';
import { HttpsPoster } from './https';
import type { Outcome, PushDriver, PushOp } from './types';

/**
 * Check Point Identity Awareness Web API (v1.0): `add-identity` and `delete-identity` in their
 * bulk form (`{"shared-secret", "requests": [...]}`, one answer per request in `responses`).
 * Logouts go first, so an address that changed hands is revoked before it is associated again.
 */
export class CheckpointDriver implements PushDriver {
  private readonly http: HttpsPoster;

  constructor(private readonly cfg: PushTargetConfig) {
    this.http = new HttpsPoster(cfg);
  }

  async send(ops: readonly PushOp[], signal: AbortSignal): Promise<Outcome> {
    const seconds = Math.max(1, Math.ceil(this.cfg.timeoutMs / 1000));
    // An address whose user changed is revoked first; a group change is a new association over it.
    const revoke = ops.filter((o) => o.op === 'logout' || (o.prev && o.prev.user !== o.id.user));
    const add = ops.filter((o) => o.op === 'login');
    const rejected: { ip: string; error: string }[] = [];
    if (revoke.length > 0) {
      const r = await this.call(
        'delete-identity',
        revoke.map((o) => ({ 'ip-address': o.id.ip })),
        revoke,
        signal,
      );
      if (r.status !== 'success') return r;
      rejected.push(...(r.rejected ?? []).filter((x) => revoke.some((o) => o.op === 'logout' && o.id.ip === x.ip)));
    }
    if (add.length > 0) {
      const requests = add.map((o) => ({
        'ip-address': o.id.ip,
        user: o.id.user,
        ...(o.id.domain ? { domain: o.id.domain } : {}),
        'user-groups': o.id.groups,
        'fetch-user-groups': 0,
        'session-timeout': seconds,
        'identity-source': 'fsso',
      }));
      const r = await this.call('add-identity', requests, add, signal);
      if (r.status !== 'success') return r;
      rejected.push(...(r.rejected ?? []));
    }
    return { status: 'success', rejected };
  }

  private async call(
    command: string,
    requests: Record<string, unknown>[],
    ops: readonly PushOp[],
    signal: AbortSignal,
  ): Promise<Outcome> {
    const body = JSON.stringify({ 'shared-secret': this.cfg.secret, requests });
    let reply;
    try {
      reply = await this.http.post(`/${command}`, body, { 'content-type': 'application/json' }, signal);
    } catch (err) {
      return { status: 'retryable', error: err instanceof Error ? err.message : String(err) };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(reply.body);
    } catch {
      parsed = undefined;
    }
    const message =
      typeof parsed === 'object' && parsed !== null && 'message' in parsed ? String(parsed.message).slice(0, 300) : '';
    if (reply.status === 401 || reply.status === 403)
      return {
        status: 'retryable',
        error: `Check Point refused ${command} (HTTP ${reply.status}${message ? `: ${message}` : ''}); check the shared secret and that this host is an allowed Web API client`,
      };
    if (reply.status !== 200) {
      const error = `Check Point answered ${command} with HTTP ${reply.status}${message ? `: ${message}` : ''}`;
      // 4xx: what we sent was refused, and sending it again cannot help; 5xx: the gateway's trouble.
      if (reply.status >= 400 && reply.status < 500 && reply.status !== 429)
        return { status: 'success', rejected: ops.map((o) => ({ ip: o.id.ip, error })) };
      return { status: 'retryable', error };
    }
    const responses =
      typeof parsed === 'object' && parsed !== null && 'responses' in parsed && Array.isArray(parsed.responses)
        ? (parsed.responses as unknown[])
        : undefined;
    if (!responses || responses.length !== requests.length)
      return { status: 'retryable', error: `Check Point answered ${command} without one response per request` };
    const rejected: { ip: string; error: string }[] = [];
    responses.forEach((r, i) => {
      const o = r as Record<string, unknown>;
      const ok = typeof o['ipv4-address'] === 'string' || typeof o['ipv6-address'] === 'string';
      const op = ops[i];
      if (!ok && op) rejected.push({ ip: op.id.ip, error: String(o['message'] ?? 'refused').slice(0, 300) });
    });
    return { status: 'success', rejected };
  }

  close(): void {
    this.http.close();
  }
}
