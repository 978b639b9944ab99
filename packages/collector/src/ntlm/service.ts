import * as grpc from '@grpc/grpc-js';
import {
  errorMessage,
  normaliseIp,
  type Logger,
  type ProxyAuthReply,
  type ProxyAuthRequest__Output,
  type ProxyAuthServiceHandlers,
  type ProxyAuthVerdict,
} from '@fsso/common';
import { callerOf } from '../services/guard';
import { endWithStatus } from '../services/status';
import { AUTH_SCHEMES, type AuthScheme, type NtlmConfig } from './config';
import { parseHelperReply, splitAccount, type Helper } from './helper';
import type { HelperPool } from './pool';
import type { RecordResult, VerifiedLogon } from './record';
import type { UsedAnswers } from './replay';
import type { StreamQuota } from '../services/stream-quota';

/** Counters in `fssoctl stats` (`ntlm`): exchanges and how they ended. */
export interface ExchangeCounters {
  exchanges: number;
  succeeded: number;
  failed: number;
  replayed: number;
  expired: number;
  outOfAuthority: number;
  helperErrors: number;
}

export interface NtlmServiceDeps {
  cfg: NtlmConfig;
  pools: ReadonlyMap<AuthScheme, HelperPool>;
  used: UsedAnswers;
  record: (v: VerifiedLogon) => Promise<RecordResult>;
  counters: ExchangeCounters;
  log: Logger;
  now: () => number;
  /** Streams per proxy certificate (limits.streamsPerCertificate.auth) and in all (limits.maxStreams). */
  quota: StreamQuota;
}

/** A token larger than this is no NTLM or SPNEGO message (a Kerberos ticket with a big PAC stays well under it). */
const MAX_TOKEN_BYTES = 48 * 1024;

type AuthCall = grpc.ServerDuplexStream<ProxyAuthRequest__Output, ProxyAuthReply>;

interface Exchange {
  helper: Helper;
  scheme: AuthScheme;
  /** What the client's first token is (an operator retiring NTLM wants to see who still uses it). */
  mechanism: Mechanism;
  ip: string;
  timer: NodeJS.Timeout;
  busy: boolean;
}

type Mechanism = 'kerberos' | 'ntlm' | 'unknown';

/** Kerberos V5's OID as DER (1.2.840.113554.1.2.2), and its Microsoft variant (1.2.840.48018.1.2.2). */
const KRB5_OIDS = [Buffer.from('06092a864886f712010202', 'hex'), Buffer.from('06092a864882f712010202', 'hex')];

/** The mechanism a first token asks for: a raw or SPNEGO-wrapped NTLMSSP message, or Kerberos. */
export function mechanismOf(scheme: AuthScheme, token: Buffer): Mechanism {
  if (scheme === 'ntlm' || token.includes('NTLMSSP\0', 0, 'latin1')) return 'ntlm';
  return KRB5_OIDS.some((oid) => token.includes(oid)) ? 'kerberos' : 'unknown';
}

/** ProxyAuthService.Authenticate: one stream per client connection, exchanges one after another. */
export function ntlmService(deps: NtlmServiceDeps): ProxyAuthServiceHandlers {
  return { Authenticate: (call: AuthCall) => handle(call, deps) };
}

function handle(call: AuthCall, d: NtlmServiceDeps): void {
  if (!d.quota.acquire(call, 'auth')) return;
  const caller = callerOf(call);
  const reporter = caller ? ('id' in caller.agent ? caller.agent.id : caller.name) : 'plaintext-proxy';
  const scope = caller?.domains;
  let ex: Exchange | undefined;
  let closed = false;

  const endExchange = (healthy: boolean): void => {
    if (!ex) return;
    clearTimeout(ex.timer);
    // A helper still working on a line would answer the next exchange with this one's reply.
    d.pools.get(ex.scheme)?.release(ex.helper, healthy && !ex.busy);
    ex = undefined;
  };
  const verdict = (v: ProxyAuthVerdict, fields: Record<string, unknown>): void => {
    if (v.ok) d.counters.succeeded++;
    else d.counters.failed++;
    // Every verdict is logged, never with a token: the reason, the account, the address, the proxy.
    d.log.info(v.ok ? 'proxy authentication succeeded' : 'proxy authentication failed', {
      proxy: reporter,
      ...fields,
      ...(v.ok ? { user: v.user, domain: v.domain, groups: v.groups?.length ?? 0 } : { reason: v.reason }),
    });
    if (!closed) call.write({ verdict: v });
  };
  const fail = (reason: string, fields: Record<string, unknown>): void => verdict({ ok: false, reason }, fields);

  const begin = async (ipRaw: string, schemeRaw: string, token: Buffer): Promise<void> => {
    endExchange(true);
    const ip = normaliseIp(ipRaw);
    const scheme = schemeRaw.toLowerCase() as AuthScheme;
    if (ip === null) return fail(`client address ${JSON.stringify(ipRaw.slice(0, 60))} is not an IP address`, {});
    if (!AUTH_SCHEMES.includes(scheme) || !d.cfg.schemes.includes(scheme))
      return fail(
        `scheme ${JSON.stringify(schemeRaw.slice(0, 20))} is not served here; the collector verifies ${d.cfg.schemes.join(', ')} (ntlm.schemes)`,
        { ip },
      );
    if (token.length === 0 || token.length > MAX_TOKEN_BYTES)
      return fail(`the first token is empty or over ${MAX_TOKEN_BYTES} bytes`, { ip, scheme });
    d.counters.exchanges++;
    const pool = d.pools.get(scheme);
    const helper = pool ? await pool.acquire(Math.min(d.cfg.exchangeTimeoutMs, 5000)) : undefined;
    if (closed) return void (helper && pool?.release(helper, true));
    if (!helper) {
      const broken = pool?.brokenReason;
      if (broken !== undefined) d.counters.helperErrors++;
      return fail(
        broken !== undefined
          ? `no ${scheme} helper can run (${broken.slice(0, 200)}); check ntlm.command and winbindd ('wbinfo -t')`
          : `every ${scheme} helper is busy (ntlm.helpers ${d.cfg.helpers}, ntlm.queue ${d.cfg.queue}); retry`,
        { ip, scheme },
      );
    }
    const timer = setTimeout(() => {
      if (ex?.timer !== timer) return;
      d.counters.expired++;
      endExchange(true);
      fail(`the exchange took over ${d.cfg.exchangeTimeoutMs} ms (ntlm.exchangeTimeout); its challenge is void`, {
        ip,
        scheme,
      });
    }, d.cfg.exchangeTimeoutMs);
    ex = { helper, scheme, mechanism: mechanismOf(scheme, token), ip, timer, busy: false };
    await step(`YR ${token.toString('base64')}`);
  };

  const step = async (line: string): Promise<void> => {
    const cur = ex;
    if (!cur) return;
    cur.busy = true;
    let reply;
    try {
      reply = parseHelperReply(cur.scheme, await cur.helper.ask(line, d.cfg.exchangeTimeoutMs));
    } catch (err) {
      d.counters.helperErrors++;
      if (ex === cur) endExchange(false);
      return fail(`the verifying helper failed (${errorMessage(err)}); retry`, { ip: cur.ip, scheme: cur.scheme });
    }
    cur.busy = false;
    if (ex !== cur) return; // expired meanwhile: the verdict is out
    const fields = { ip: cur.ip, scheme: cur.scheme, mechanism: cur.mechanism };
    if (reply.kind === 'continue') {
      if (!closed) call.write({ challenge: { token: reply.token } });
      return;
    }
    endExchange(reply.kind !== 'broken');
    if (reply.kind === 'broken') {
      d.counters.helperErrors++;
      return fail(`the verifying helper could not work: ${reply.reason.slice(0, 200)}`, fields);
    }
    if (reply.kind === 'failed')
      return fail(`the domain refused the credentials: ${reply.reason.slice(0, 200)}`, fields);
    const { user, domain } = splitAccount(reply.account);
    if (user === '' || domain === '')
      return fail(`the helper named no domain account (${reply.account.slice(0, 60)})`, fields);
    let r: RecordResult;
    try {
      r = await d.record({ ip: cur.ip, user, domain, scheme: cur.scheme, reporter, scope });
    } catch (err) {
      return fail(`the collector could not record the logon: ${errorMessage(err)}`, fields);
    }
    if (!r.ok) {
      if (r.outOfAuthority) d.counters.outOfAuthority++;
      return fail(r.reason, { ...fields, user, domain });
    }
    verdict({ ok: true, user, domain: r.domain, groups: r.groups, groupDns: r.groupDns, token: reply.token }, fields);
  };

  const answer = async (token: Buffer): Promise<void> => {
    if (!ex) return fail('no exchange in progress on this connection: a challenge is answered once; begin again', {});
    if (ex.busy) return fail('a token while the previous one is being verified; wait for the reply', { ip: ex.ip });
    if (token.length === 0 || token.length > MAX_TOKEN_BYTES) {
      const fields = { ip: ex.ip, scheme: ex.scheme };
      endExchange(true);
      return fail(`the answer is empty or over ${MAX_TOKEN_BYTES} bytes`, fields);
    }
    if (!d.used.use(token, d.now())) {
      d.counters.replayed++;
      const fields = { ip: ex.ip, scheme: ex.scheme };
      endExchange(true);
      return fail('replayed answer: this token already answered a challenge; each challenge is answered once', fields);
    }
    await step(`KK ${token.toString('base64')}`);
  };

  // One message at a time, in order: the helper's protocol is strictly request/reply.
  let chain = Promise.resolve();
  call.on('data', (msg: ProxyAuthRequest__Output) => {
    chain = chain
      .then(() =>
        msg.begin
          ? begin(msg.begin.clientIp, msg.begin.scheme, Buffer.from(msg.begin.token))
          : msg.token !== undefined && msg.step === 'token'
            ? answer(Buffer.from(msg.token))
            : fail('an empty request: send begin, then the tokens', {}),
      )
      .catch((err: unknown) => {
        d.log.error('proxy authentication step failed', { proxy: reporter, error: errorMessage(err) });
        if (!closed) endWithStatus(call, grpc.status.INTERNAL, 'proxy authentication failed; see the collector log');
      });
  });
  const done = (): void => {
    closed = true;
    endExchange(true);
  };
  call.on('end', () => {
    done();
    void chain.finally(() => call.end());
  });
  call.on('cancelled', done);
  call.on('error', done);
}
