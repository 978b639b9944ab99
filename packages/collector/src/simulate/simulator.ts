import winston from 'winston';
import type { AgentEvent } from '@fsso/formats';
import { openDatabase } from '../store/database';
import { IdentityTable } from '../store/identity-table';
import { TableWriter } from '../store/table-writer';
import { ChangeHub } from '../sync/hub';
import { WorkstationStore } from '../store/workstations';
import { AgentStore } from '../store/agent-store';
import { EventLog } from '../store/event-log';
import { IdentityEngine, type GroupLookup } from '../identity/engine';
import type { IdentitySettings } from '../identity/settings';
import type { Entry, TableChange } from '../identity/entry';
import { Ingestor } from '../ingest/ingestor';
import type { HistoryRow } from '../store/history';

export interface SimulationResult {
  /** The table as of `atMs`. */
  table: Entry[];
  /** Every change, in order. */
  changes: TableChange[];
  atMs: number;
  /** The history of one address, when asked. */
  history: (ip: string, atMs: number) => { at: HistoryRow | undefined; around: HistoryRow[] };
  rejected: { event: AgentEvent; reason: string }[];
}

/**
 * The agent id events are ingested under. Empty, like the authority of a plaintext collector's
 * hello without a certificate: each event's own `reporter` field then speaks for it, as the
 * recorded files name the DCs that wrote them.
 */
const SIMULATED_AGENT = '';

/**
 * Runs events through the real ingest path (the collector's own `Ingestor`: validation, the
 * identity rules, expiry) on a real (in-memory) SQLite table, with a simulated clock: events are
 * applied in event-time order and the clock stands at each event's time, with expiry swept before
 * every event and at the end (`atMs`, or the last event's time).
 */
export function simulate(
  events: readonly AgentEvent[],
  settings: IdentitySettings,
  atMs?: number,
  groups?: GroupLookup,
): SimulationResult {
  const db = openDatabase(':memory:', 'normal');
  const table = new IdentityTable(db);
  const agents = new AgentStore(db);
  let now = 0;
  const clock = { now: () => now };
  // Silent: simulate prints the table and counts rejections itself; log lines would break --json.
  const log = winston.createLogger({ silent: true });
  const workstations = new WorkstationStore(db);
  const engine = new IdentityEngine(table, workstations, settings, groups);
  // The same write path as the daemon; no Sync stream listens to this hub.
  const writer = new TableWriter({ db, table, hub: new ChangeHub(), workstations });
  const ingestor = new Ingestor({
    table,
    agents,
    events: new EventLog(db),
    clock,
    engine,
    deadEntryTimeoutMs: settings.deadEntryTimeoutMs,
    log,
    writer,
  });
  agents.save({
    agentId: SIMULATED_AGENT,
    spoolId: 'simulate',
    ackedSeq: 0,
    headSeq: 0,
    hostname: 'simulate',
    domains: [],
    version: '',
    lastEventMs: 0,
    lastContactMs: 0,
    eventsAccepted: 0,
    duplicates: 0,
  });
  const ordered = [...events].sort((a, b) => a.eventTimeMs - b.eventTimeMs);
  const changes: TableChange[] = [];
  const rejected: SimulationResult['rejected'] = [];
  const end = atMs ?? ordered[ordered.length - 1]?.eventTimeMs ?? Date.now();
  for (const [i, e] of ordered.entries()) {
    if (e.eventTimeMs > end) break;
    now = e.eventTimeMs;
    changes.push(...ingestor.expire());
    const r = ingestor.apply(SIMULATED_AGENT, [{ ...e, seq: i + 1 }], i + 1);
    const reason = r.rejections[0]?.reason;
    if (reason !== undefined) rejected.push({ event: e, reason });
    changes.push(...r.changes);
  }
  now = end;
  changes.push(...ingestor.expire());
  return { table: [...table.all()], changes, atMs: end, history: (ip, t) => table.history.at(ip, t), rejected };
}
