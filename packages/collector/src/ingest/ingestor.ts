import type { Clock, Event__Output, Logger, Network } from '@fsso/common';
import { authorityOf, type Authority } from '../authority/authority';
import type { TableWriter } from '../store/table-writer';
import type { AgentRecord, AgentStore } from '../store/agent-store';
import type { EventLog } from '../store/event-log';
import type { IdentityTable } from '../store/identity-table';
import type { TableChange } from '../identity/entry';
import type { EngineCounters, IdentityEngine } from '../identity/engine';
import { expireEntries } from '../identity/expiry';
import { validateEvent } from './validate';

export interface BatchResult {
  ackedSeq: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Why, for the first MAX_REJECTIONS_PER_ACK rejected events: the agent is told in the ack. */
  rejections: { seq: number; reason: string }[];
  changes: TableChange[];
}

/** Rejections named per ack (and reason length): enough to act on, bounded whatever the batch. */
export const MAX_REJECTIONS_PER_ACK = 8;
const MAX_REASON_CHARS = 200;

/** The outcome list of a batch nobody listens to: never pushed to. */
const NO_OUTCOMES: EventOutcome[] = [];

/** What became of one event, for the metrics: told after the batch committed, never for a rolled-back one. */
export type EventOutcome = {
  result: 'applied' | 'rejected' | 'duplicate';
  kind: string;
  source: string;
  reason?: string;
};

export interface IngestCounters {
  /** Events dated more than 5 minutes in the future (a skewed DC clock): clamped to now, and reported. */
  skewed: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  expired: number;
}

/**
 * Applies batches from agents to the table: one SQLite transaction per batch (events, the table
 * changes they cause, and the agent's new high-water mark commit together), so the ack that
 * follows the commit is the truth and a resent batch changes nothing.
 */
const SKEW_MS = 5 * 60_000;

export interface IngestorDeps {
  table: IdentityTable;
  agents: AgentStore;
  events: EventLog;
  clock: Clock;
  engine: IdentityEngine;
  deadEntryTimeoutMs: number;
  log: Logger;
  /** The one write path: each batch, expiry and forced logoff commits and publishes through it. */
  writer: TableWriter;
  /** Per agent certificate identity, the networks where its address evidence is authoritative (config `agents`). @default none */
  agentNetworks?: ReadonlyMap<string, Network[]>;
}

export class Ingestor {
  readonly counters: IngestCounters = { accepted: 0, duplicates: 0, rejected: 0, expired: 0, skewed: 0 };
  /** When each agent was last warned about its clock, so a skewed DC gives one line per 10 minutes. */
  private readonly skewWarned = new Map<string, number>();
  /** Outcomes of the batch being applied; handed to `onOutcomes` once it committed. */
  private outcomes: EventOutcome[] = [];
  /** Set by the metrics; called after each committed batch. */
  onOutcomes: ((outcomes: readonly EventOutcome[]) => void) | undefined;

  constructor(private readonly d: IngestorDeps) {}

  /** Commits a batch and returns what to acknowledge. Throws only if SQLite fails (nothing is then committed). */
  apply(agentId: string, batch: Event__Output[], headSeq: number, scope?: readonly string[]): BatchResult {
    const agent = this.d.agents.get(agentId);
    if (!agent) throw new Error(`agent ${agentId} sent a batch before its hello was recorded`);
    // Only when metrics listen: otherwise an object per event for nobody, a share of ingest's GC.
    this.outcomes = this.onOutcomes ? [] : NO_OUTCOMES;
    // Rows a failed batch left behind were rolled back with it.
    this.d.events.discard();
    // Committed and published as one: the ack that follows is the truth, and firewalls hear of it at once.
    const r = this.d.writer.commit(
      () => this.applyInTx(agent, batch, headSeq, scope),
      (b) => b.changes,
    );
    if (this.outcomes !== NO_OUTCOMES) this.onOutcomes?.(this.outcomes);
    this.counters.accepted += r.accepted;
    this.counters.duplicates += r.duplicates;
    this.counters.rejected += r.rejected;
    return r;
  }

  private applyInTx(
    agent: AgentRecord,
    batch: Event__Output[],
    headSeq: number,
    scope?: readonly string[],
  ): BatchResult {
    const now = this.d.clock.now();
    const changes: TableChange[] = [];
    let accepted = 0;
    let duplicates = 0;
    let rejected = 0;
    const rejections: { seq: number; reason: string }[] = [];
    let acked = agent.ackedSeq;
    let lastEventMs = agent.lastEventMs;
    const names = this.d.engine.domains;
    const auth: Authority = authorityOf(scope, this.d.agentNetworks?.get(agent.agentId) ?? [], names, agent.agentId);
    for (const raw of batch) {
      if (raw.seq <= acked) {
        duplicates++;
        if (this.outcomes !== NO_OUTCOMES)
          this.outcomes.push({ result: 'duplicate', kind: raw.kind, source: raw.source });
        continue;
      }
      const ev = validateEvent(raw, scope, names);
      // A bad event still moves the high-water mark: resending it would never make it valid.
      acked = Math.max(acked, Number.isSafeInteger(raw.seq) ? raw.seq : acked);
      if (typeof ev === 'string') {
        rejected++;
        if (rejections.length < MAX_REJECTIONS_PER_ACK)
          rejections.push({ seq: raw.seq, reason: ev.slice(0, MAX_REASON_CHARS) });
        if (this.outcomes !== NO_OUTCOMES)
          this.outcomes.push({ result: 'rejected', kind: raw.kind, source: raw.source, reason: ev });
        this.d.log.warn('event rejected', { agent: agent.agentId, seq: raw.seq, reason: ev });
        continue;
      }
      accepted++;
      if (this.outcomes !== NO_OUTCOMES) this.outcomes.push({ result: 'applied', kind: ev.kind, source: ev.source });
      if (ev.eventTimeMs > now + SKEW_MS) this.reportSkew(agent.agentId, ev.eventTimeMs - now, now);
      lastEventMs = Math.max(lastEventMs, Math.min(ev.eventTimeMs, now));
      this.d.events.append(agent.agentId, agent.spoolId, ev, now);
      this.d.engine.apply(ev, now, auth, changes);
    }
    this.d.events.flush();
    this.d.table.flush();
    this.d.agents.save({
      ...agent,
      ackedSeq: acked,
      headSeq: Math.max(headSeq, acked),
      lastEventMs,
      lastContactMs: now,
      eventsAccepted: agent.eventsAccepted + accepted,
      duplicates: agent.duplicates + duplicates,
    });
    return { ackedSeq: acked, accepted, duplicates, rejected, rejections, changes };
  }

  private reportSkew(agentId: string, aheadMs: number, now: number): void {
    this.counters.skewed++;
    if (now - (this.skewWarned.get(agentId) ?? 0) < 600_000) return;
    this.skewWarned.set(agentId, now);
    this.d.log.warn("an agent's events are dated in the future: its clock is skewed; they count as now", {
      agent: agentId,
      aheadSeconds: Math.round(aheadMs / 1000),
    });
  }

  /** How often the rules met evidence beyond its agent's authority (contested addresses, refused moves). */
  get authority(): Readonly<EngineCounters> {
    return this.d.engine.counters;
  }

  /** Removes entries without evidence for the dead-entry timeout; commits, publishes and returns the changes. */
  expire(): TableChange[] {
    const changes = this.d.writer.changes(() =>
      expireEntries(this.d.table, this.d.clock.now(), this.d.deadEntryTimeoutMs),
    );
    this.counters.expired += changes.length;
    return changes;
  }

  /** Removes one entry on an operator's request (force logoff); firewalls hear of it at once. */
  forceLogoff(ip: string): TableChange | undefined {
    return this.d.writer.commit(
      () => this.d.table.delete(ip, 'admin-delete', this.d.clock.now()),
      (c) => (c ? [c] : []),
    );
  }
}
