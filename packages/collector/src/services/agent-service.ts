import * as grpc from '@grpc/grpc-js';
import type { AgentHello__Output, AgentMessage__Output, AgentServiceHandlers, Clock, CollectorMessage, Logger } from '@fsso/common';
import { errorMessage } from '@fsso/common';
import type { AgentStore } from '../store/agent-store';
import type { Ingestor } from '../ingest/ingestor';
import type { ChangeHub } from '../sync/hub';
import type { AgentRegistry, Connection } from '../agents/registry';
import { callerOf } from './guard';
import { endWithStatus } from './status';
import type { Limits } from '../config';
import { TokenBucket } from './limits';
import type { StreamQuota } from './stream-quota';
import { inScope } from '../ingest/validate';

const HELLO_TIMEOUT_MS = 10_000;
const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

export interface AgentServiceDeps {
  limits: Limits;
  quota: StreamQuota;
  limitHits: Record<string, number>;
  agents: AgentStore;
  ingestor: Ingestor;
  hub: ChangeHub;
  registry: AgentRegistry;
  clock: Clock;
  collectorId: string;
  log: Logger;
}

type ReportCall = grpc.ServerDuplexStream<AgentMessage__Output, CollectorMessage>;

/** AgentService.Report: hello, then batches; every ack follows the commit of its batch. */
export function agentService(deps: AgentServiceDeps): AgentServiceHandlers {
  const buckets = new AgentBuckets(deps);
  return { Report: (call: ReportCall) => handleReport(call, deps, buckets) };
}

function handleReport(call: ReportCall, deps: AgentServiceDeps, buckets: AgentBuckets): void {
  const { log } = deps;
  if (!deps.quota.acquire(call, 'report')) return;

  let conn: Connection | undefined;
  let finished = false;
  /** Domains the agent's certificate covers (undefined: plaintext, unchecked). */
  let scope: string[] | undefined;
  const fail = (code: grpc.status, details: string): void => {
    if (finished) return;
    finished = true;
    clearTimeout(helloTimer);
    if (conn) deps.registry.detach(conn);
    endWithStatus(call, code, details);
  };
  const helloTimer = setTimeout(() => fail(grpc.status.DEADLINE_EXCEEDED, `no hello within ${HELLO_TIMEOUT_MS / 1000}s`), HELLO_TIMEOUT_MS);

  call.on('data', (msg: AgentMessage__Output) => {
    if (finished) return;
    if (msg.hello) {
      if (conn) return fail(grpc.status.FAILED_PRECONDITION, 'a second hello on one stream');
      const problem = checkHello(msg.hello);
      if (problem) return fail(grpc.status.INVALID_ARGUMENT, problem);
      const caller = callerOf(call);
      scope = caller ? caller.domains : undefined;
      const outside = scope ? msg.hello.domains.filter((d) => !inScope(scope as string[], d)) : [];
      if (outside.length) {
        log.warn('agent refused: hello names domains its certificate does not cover', { agent: msg.hello.agentId, certificate: caller?.name, domains: outside });
        return fail(grpc.status.PERMISSION_DENIED, `certificate ${caller?.name ?? ''} may report for ${scope?.join(', ') || 'no domain'}, not ${outside.join(', ')}`);
      }
      clearTimeout(helloTimer);
      conn = {
        agentId: msg.hello.agentId, peer: call.getPeer(), connectedSinceMs: deps.clock.now(),
        close: (reason) => fail(grpc.status.ABORTED, reason),
      };
      const acked = welcome(msg.hello, deps);
      deps.registry.attach(conn);
      call.write({ welcome: { ackedSeq: acked, collectorId: deps.collectorId } });
      log.info('agent connected', { agent: conn.agentId, peer: conn.peer, ackedSeq: acked, backlog: Math.max(0, msg.hello.headSeq - acked) });
    } else if (msg.batch) {
      if (!conn) return fail(grpc.status.FAILED_PRECONDITION, 'a batch before the hello; send AgentHello first');
      // Limits refuse the whole batch before anything is written: never a partial write.
      const n = msg.batch.events.length;
      const limit = n > deps.limits.maxBatchEvents ? `batch of ${n} events is over limits.maxBatchEvents (${deps.limits.maxBatchEvents}); send smaller batches`
        : !buckets.of(conn.agentId).take(n) ? `over limits.maxEventsPerSecond (${deps.limits.maxEventsPerSecond}) for this agent; slow down and resend` : undefined;
      if (limit) {
        const key = n > deps.limits.maxBatchEvents ? 'maxBatchEvents' : 'maxEventsPerSecond';
        deps.limitHits[key] = (deps.limitHits[key] ?? 0) + 1;
        log.warn('batch refused by a limit', { agent: conn.agentId, reason: limit });
        return fail(grpc.status.RESOURCE_EXHAUSTED, limit);
      }
      try {
        const r = deps.ingestor.apply(conn.agentId, msg.batch.events, msg.batch.headSeq, scope);
        call.write({ ack: { ackedSeq: r.ackedSeq, accepted: r.accepted, duplicates: r.duplicates } });
        deps.hub.publish(r.changes);
        log.debug('batch committed', { agent: conn.agentId, acked: r.ackedSeq, accepted: r.accepted, duplicates: r.duplicates, changes: r.changes.length });
      } catch (err) {
        log.error('batch not committed', { agent: conn.agentId, error: errorMessage(err) });
        fail(grpc.status.UNAVAILABLE, `the collector could not commit the batch (${errorMessage(err)}); it will be resent`);
      }
    }
  });
  const closed = (): void => {
    clearTimeout(helloTimer);
    if (conn && !finished) log.info('agent disconnected', { agent: conn.agentId });
    finished = true;
    if (conn) deps.registry.detach(conn);
  };
  call.on('end', () => {
    closed();
    call.end();
  });
  call.on('cancelled', closed);
  call.on('error', closed);
}

/** One bucket per agent id, shared by its streams: reconnecting does not refill it. */
class AgentBuckets {
  private readonly byAgent = new Map<string, TokenBucket>();
  constructor(private readonly deps: AgentServiceDeps) {}

  of(agentId: string): TokenBucket {
    let b = this.byAgent.get(agentId);
    if (!b) {
      if (this.byAgent.size > 10_000) this.byAgent.clear();
      this.byAgent.set(agentId, (b = new TokenBucket(this.deps.limits.maxEventsPerSecond, this.deps.clock)));
    }
    return b;
  }
}

function checkHello(h: AgentHello__Output): string | undefined {
  if (!AGENT_ID.test(h.agentId)) return `agentId ${JSON.stringify(h.agentId)} must be 1-128 characters of letters, digits, '.', '_', '@', '-'`;
  if (h.domains.length > 64) return 'more than 64 domains in the hello';
  return undefined;
}

/** Records the hello and returns the sequence the agent should continue after. */
function welcome(h: AgentHello__Output, deps: AgentServiceDeps): number {
  const now = deps.clock.now();
  const prev = deps.agents.get(h.agentId);
  let ackedSeq = prev?.ackedSeq ?? 0;
  if (prev && prev.spoolId !== '' && prev.spoolId !== h.spoolId) {
    // A new spool restarts its sequences at 1; keeping the old mark would drop them as duplicates.
    deps.log.warn('agent has a new spool; its sequence numbers start over', { agent: h.agentId, oldSpool: prev.spoolId, newSpool: h.spoolId, oldAckedSeq: prev.ackedSeq });
    ackedSeq = 0;
  }
  deps.agents.save({
    agentId: h.agentId, spoolId: h.spoolId, ackedSeq, headSeq: h.headSeq, hostname: h.hostname.slice(0, 255),
    domains: h.domains.map((d) => d.toUpperCase()), version: h.version.slice(0, 64), lastEventMs: prev?.lastEventMs ?? 0,
    lastContactMs: now, eventsAccepted: prev?.eventsAccepted ?? 0, duplicates: prev?.duplicates ?? 0,
  });
  return ackedSeq;
}
