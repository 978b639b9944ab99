import type { AgentEvent } from '@fsso/formats';
import { openDatabase } from '../store/database';
import { IdentityTable } from '../store/identity-table';
import { WorkstationStore } from '../store/workstations';
import { IdentityEngine, type GroupLookup } from '../identity/engine';
import { expireEntries } from '../identity/expiry';
import type { IdentitySettings } from '../identity/settings';
import type { Entry, TableChange } from '../identity/entry';
import { validateEvent } from '../ingest/validate';
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
 * Runs events through the real identity rules, on a real (in-memory) SQLite table, with a
 * simulated clock: events are applied in event-time order and the clock stands at each event's
 * time, with expiry swept before every event and at the end (`atMs`, or the last event's time).
 */
export function simulate(events: readonly AgentEvent[], settings: IdentitySettings, atMs?: number, groups?: GroupLookup): SimulationResult {
  const db = openDatabase(':memory:', 'normal');
  const table = new IdentityTable(db);
  const engine = new IdentityEngine(table, new WorkstationStore(db), settings, groups);
  const ordered = [...events].sort((a, b) => a.eventTimeMs - b.eventTimeMs);
  const changes: TableChange[] = [];
  const rejected: SimulationResult['rejected'] = [];
  const end = atMs ?? ordered[ordered.length - 1]?.eventTimeMs ?? Date.now();
  for (const [i, e] of ordered.entries()) {
    if (e.eventTimeMs > end) break;
    const ev = validateEvent({ ...e, seq: i + 1 });
    if (typeof ev === 'string') {
      rejected.push({ event: e, reason: ev });
      continue;
    }
    changes.push(...expireEntries(table, e.eventTimeMs, settings.deadEntryTimeoutMs));
    changes.push(...engine.apply(ev, e.eventTimeMs));
  }
  changes.push(...expireEntries(table, end, settings.deadEntryTimeoutMs));
  return { table: [...table.all()], changes, atMs: end, history: (ip, t) => table.history.at(ip, t), rejected };
}
