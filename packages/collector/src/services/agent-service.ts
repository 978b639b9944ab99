import * as grpc from '@grpc/grpc-js';
import type {
  AgentHello__Output,
  AgentMessage__Output,
  AgentServiceHandlers,
  Clock,
  CollectorMessage,
  Logger,
} from '@fsso/common';
import { AGENT_ID_PATTERN, errorMessage, type DomainNames } from '@fsso/common';
import type { StorageHealth } from '../store/storage-health';
import type { AgentStore } from '../store/agent-store';
import type { Ingestor } from '../ingest/ingestor';
import type { AgentRegistry, Connection } from '../agents/registry';
import { callerOf, type Caller } from './guard';
import { endWithStatus } from './status';
import type { Limits } from '../config';
import { TokenBucket } from './limits';
import type { StreamQuota } from './stream-quota';
import { batchSeqProblem, helloSeqProblem, maxSeq } from './sequence';

const HELLO_TIMEOUT_MS = 10_000;

export interface AgentServiceDeps {
  limits: Limits;
  quota: StreamQuota;
  limitHits: Record<string, number>;
  /** Calls refused for their certificate (stats `denied`). */
  denied: { count: number };
  agents: AgentStore;
  ingestor: Ingestor;
  registry: AgentRegistry;
  clock: Clock;
  collectorId: string;
  /** NetBIOS/DNS equivalences: a certificate's domains cover a name only through them. */
  domains: DomainNames;
  log: Logger;
  /** Whether database writes work; a full disk is logged once, not per retried batch. */
  storage?: StorageHealth;
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
  /** Whose rate bucket this stream drains: the certificate's agent id (plaintext: the hello's). */
  let rateKey = '';
  /** The hello's head, then the highest seq sent: how far the next batch's seqs may reach. */
  let known = 0;
  const fail = (code: grpc.status, details: string): void => {
    if (finished) return;
    finished = true;
    clearTimeout(helloTimer);
    if (conn) deps.registry.detach(conn);
    endWithStatus(call, code, details);
  };
  const helloTimer = setTimeout(
    () => fail(grpc.status.DEADLINE_EXCEEDED, `no hello within ${HELLO_TIMEOUT_MS / 1000}s`),
    HELLO_TIMEOUT_MS,
  );

  call.on('data', (msg: AgentMessage__Output) => {
    if (finished) return;
    if (msg.hello) {
      if (conn) return fail(grpc.status.FAILED_PRECONDITION, 'a second hello on one stream');
      const problem = checkHello(msg.hello);
      if (problem) return fail(grpc.status.INVALID_ARGUMENT, problem);
      const caller = callerOf(call);
      const impostor = caller ? identityProblem(caller, msg.hello.agentId) : undefined;
      if (caller && impostor) {
        deps.denied.count++;
        log.warn("agent refused: hello names another agent's id", {
          agent: msg.hello.agentId,
          certificate: caller.name,
          peer: call.getPeer(),
          reason: impostor,
        });
        return fail(grpc.status.PERMISSION_DENIED, impostor);
      }
      // After the identity check: an impostor learns nothing about what a valid hello would be.
      const seqProblem = helloSeqProblem(msg.hello);
      if (seqProblem) return fail(grpc.status.INVALID_ARGUMENT, seqProblem);
      rateKey = caller ? `cert:${msg.hello.agentId}` : `hello:${msg.hello.agentId}`;
      known = msg.hello.headSeq;
      scope = caller ? caller.domains : undefined;
      if (scope && scope.length === 0) {
        // An empty domain list must not mean "every domain": forest-wide agents say so (urn:fsso:domain:*).
        log.warn('agent refused: its certificate names no domain', {
          agent: msg.hello.agentId,
          certificate: caller?.name,
        });
        return fail(
          grpc.status.PERMISSION_DENIED,
          `certificate ${caller?.name ?? ''} names no domain; issue the agent's certificate with --domain NAME (or --domain '*' for a forest-wide agent)`,
        );
      }
      const outside = scope ? msg.hello.domains.filter((d) => !deps.domains.covers(scope as string[], d)) : [];
      if (outside.length) {
        log.warn('agent refused: hello names domains its certificate does not cover', {
          agent: msg.hello.agentId,
          certificate: caller?.name,
          domains: outside,
        });
        return fail(
          grpc.status.PERMISSION_DENIED,
          `certificate ${caller?.name ?? ''} may report for ${scope?.join(', ') || 'no domain'}, not ${outside.join(', ')}`,
        );
      }
      clearTimeout(helloTimer);
      conn = {
        agentId: msg.hello.agentId,
        peer: call.getPeer(),
        connectedSinceMs: deps.clock.now(),
        close: (reason) => fail(grpc.status.ABORTED, reason),
      };
      let acked: number;
      try {
        acked = welcome(msg.hello, deps);
      } catch (err) {
        // A full disk must not crash the collector: the agent keeps its events and comes back.
        return fail(
          grpc.status.UNAVAILABLE,
          `the collector cannot record this agent: ${deps.storage?.failed(err) ?? errorMessage(err)}`,
        );
      }
      deps.registry.attach(conn);
      // The limits travel with the welcome, so an agent sizes its batches to fit instead of being refused.
      const { maxBatchEvents, maxMessageBytes, maxEventsPerSecond } = deps.limits;
      call.write({
        welcome: {
          ackedSeq: acked,
          collectorId: deps.collectorId,
          maxBatchEvents,
          maxMessageBytes,
          maxEventsPerSecond,
        },
      });
      log.info('agent connected', {
        agent: conn.agentId,
        peer: conn.peer,
        ackedSeq: acked,
        backlog: Math.max(0, msg.hello.headSeq - acked),
      });
    } else if (msg.batch) {
      if (!conn) return fail(grpc.status.FAILED_PRECONDITION, 'a batch before the hello; send AgentHello first');
      // Limits refuse the whole batch before anything is written: never a partial write.
      const n = msg.batch.events.length;
      const seqProblem =
        n > deps.limits.maxBatchEvents
          ? undefined
          : batchSeqProblem(msg.batch.events, msg.batch.headSeq, known, deps.limits.maxBatchEvents);
      if (seqProblem) {
        deps.limitHits['sequence'] = (deps.limitHits['sequence'] ?? 0) + 1;
        log.warn('batch refused: sequence numbers out of range', { agent: conn.agentId, reason: seqProblem });
        return fail(grpc.status.INVALID_ARGUMENT, seqProblem);
      }
      const limit =
        n > deps.limits.maxBatchEvents
          ? `batch of ${n} events is over limits.maxBatchEvents (${deps.limits.maxBatchEvents}); send smaller batches`
          : !buckets.of(rateKey).take(n)
            ? `over limits.maxEventsPerSecond (${deps.limits.maxEventsPerSecond}) for this agent; slow down and resend`
            : undefined;
      if (limit) {
        const key = n > deps.limits.maxBatchEvents ? 'maxBatchEvents' : 'maxEventsPerSecond';
        deps.limitHits[key] = (deps.limitHits[key] ?? 0) + 1;
        log.warn('batch refused by a limit', { agent: conn.agentId, reason: limit });
        return fail(grpc.status.RESOURCE_EXHAUSTED, limit);
      }
      try {
        const r = deps.ingestor.apply(conn.agentId, msg.batch.events, msg.batch.headSeq, scope);
        known = Math.max(known, maxSeq(msg.batch.events));
        call.write({
          ack: {
            ackedSeq: r.ackedSeq,
            accepted: r.accepted,
            duplicates: r.duplicates,
            rejected: r.rejected,
            rejections: r.rejections,
          },
        });
        deps.storage?.succeeded();
        log.debug('batch committed', {
          agent: conn.agentId,
          acked: r.ackedSeq,
          accepted: r.accepted,
          duplicates: r.duplicates,
          rejected: r.rejected,
          changes: r.changes.length,
        });
      } catch (err) {
        if (!deps.storage) log.error('batch not committed', { agent: conn.agentId, error: errorMessage(err) });
        const why = deps.storage?.failed(err) ?? errorMessage(err);
        fail(
          grpc.status.UNAVAILABLE,
          `the collector could not commit the batch: ${why}; it stays in the agent's spool and will be resent`,
        );
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

/**
 * One bucket per certificate identity (plaintext: per hello id), shared by its streams:
 * reconnecting does not refill it, and naming other ids in the hello does not add buckets.
 */
class AgentBuckets {
  private readonly byAgent = new Map<string, TokenBucket>();
  constructor(private readonly deps: AgentServiceDeps) {}

  of(key: string): TokenBucket {
    let b = this.byAgent.get(key);
    if (!b) {
      if (this.byAgent.size > 10_000) this.byAgent.clear();
      this.byAgent.set(key, (b = new TokenBucket(this.deps.limits.maxEventsPerSecond, this.deps.clock)));
    }
    return b;
  }
}

function checkHello(h: AgentHello__Output): string | undefined {
  if (!AGENT_ID_PATTERN.test(h.agentId))
    return `agentId ${JSON.stringify(h.agentId)} must be 1-128 characters of letters, digits, '.', '_', '@', '-'`;
  if (h.domains.length > 64) return 'more than 64 domains in the hello';
  return undefined;
}

/**
 * Why this certificate may not report as `agentId`, or undefined. The id is the certificate's,
 * not the hello's choice: otherwise any agent certificate could take over another agent's stream
 * and sequence state.
 */
function identityProblem(caller: Caller, agentId: string): string | undefined {
  if ('problem' in caller.agent) return `certificate ${caller.name} cannot report as an agent: ${caller.agent.problem}`;
  const own = caller.agent.id;
  if (own === agentId) return undefined;
  return `certificate ${caller.name} is agent ${own}, but the hello names agent ${agentId}; an agent reports under its certificate's id: set agentId to ${own} (or leave it unset), or issue a certificate for ${agentId} ('fssoctl pki issue --role agent --agent-id ${agentId}')`;
}

/** Records the hello and returns the sequence the agent should continue after. */
function welcome(h: AgentHello__Output, deps: AgentServiceDeps): number {
  const now = deps.clock.now();
  const prev = deps.agents.get(h.agentId);
  let ackedSeq = prev?.ackedSeq ?? 0;
  if (prev && prev.spoolId !== '' && prev.spoolId !== h.spoolId) {
    // A new spool restarts its sequences at 1; keeping the old mark would drop them as duplicates.
    deps.log.warn('agent has a new spool; its sequence numbers start over', {
      agent: h.agentId,
      oldSpool: prev.spoolId,
      newSpool: h.spoolId,
      oldAckedSeq: prev.ackedSeq,
    });
    ackedSeq = 0;
  } else if (prev && ackedSeq > h.headSeq) {
    // The mark is past anything this spool ever held (a forged or broken batch, or a spool restored
    // from a backup): keeping it would take every new event for a duplicate. Resume from the
    // agent's own cursor, which only ever moves on acks of events it sent.
    const resume = Math.min(h.lastAckedSeq, h.headSeq);
    deps.log.warn("the collector's mark for this agent is past the agent's head; resuming from the agent's cursor", {
      agent: h.agentId,
      oldAckedSeq: ackedSeq,
      headSeq: h.headSeq,
      resumeAfter: resume,
    });
    ackedSeq = resume;
  }
  deps.agents.save({
    agentId: h.agentId,
    spoolId: h.spoolId,
    ackedSeq,
    headSeq: h.headSeq,
    hostname: h.hostname.slice(0, 255),
    domains: h.domains.map((d) => d.toUpperCase()),
    version: h.version.slice(0, 64),
    lastEventMs: prev?.lastEventMs ?? 0,
    lastContactMs: now,
    eventsAccepted: prev?.eventsAccepted ?? 0,
    duplicates: prev?.duplicates ?? 0,
  });
  return ackedSeq;
}
