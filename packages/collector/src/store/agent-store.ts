import type { Db } from './database';

/** Where one agent's stream stands, as persisted. */
export interface AgentRecord {
  agentId: string;
  spoolId: string;
  ackedSeq: number;
  headSeq: number;
  hostname: string;
  domains: string[];
  version: string;
  lastEventMs: number;
  lastContactMs: number;
  eventsAccepted: number;
  duplicates: number;
}

interface AgentRow {
  agent_id: string;
  spool_id: string;
  acked_seq: number;
  head_seq: number;
  hostname: string;
  domains: string;
  version: string;
  last_event_ms: number;
  last_contact_ms: number;
  events_accepted: number;
  duplicates: number;
}

const toRecord = (r: AgentRow): AgentRecord => ({
  agentId: r.agent_id,
  spoolId: r.spool_id,
  ackedSeq: r.acked_seq,
  headSeq: r.head_seq,
  hostname: r.hostname,
  domains: JSON.parse(r.domains) as string[],
  version: r.version,
  lastEventMs: r.last_event_ms,
  lastContactMs: r.last_contact_ms,
  eventsAccepted: r.events_accepted,
  duplicates: r.duplicates,
});

/** Each agent's acknowledged sequence and counters; survives restarts with the table. */
export class AgentStore {
  private readonly getSt;
  private readonly saveSt;
  constructor(private readonly db: Db) {
    this.getSt = db.prepare('SELECT * FROM agents WHERE agent_id = ?');
    this.saveSt =
      db.prepare(`INSERT INTO agents (agent_id, spool_id, acked_seq, head_seq, hostname, domains, version, last_event_ms, last_contact_ms, events_accepted, duplicates)
      VALUES (@agentId, @spoolId, @ackedSeq, @headSeq, @hostname, @domains, @version, @lastEventMs, @lastContactMs, @eventsAccepted, @duplicates)
      ON CONFLICT (agent_id) DO UPDATE SET spool_id = excluded.spool_id, acked_seq = excluded.acked_seq, head_seq = excluded.head_seq,
        hostname = excluded.hostname, domains = excluded.domains, version = excluded.version, last_event_ms = excluded.last_event_ms,
        last_contact_ms = excluded.last_contact_ms, events_accepted = excluded.events_accepted, duplicates = excluded.duplicates`);
  }

  get(agentId: string): AgentRecord | undefined {
    const row = this.getSt.get(agentId) as AgentRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  save(rec: AgentRecord): void {
    this.saveSt.run({ ...rec, domains: JSON.stringify(rec.domains) });
  }

  all(): AgentRecord[] {
    return (this.db.prepare('SELECT * FROM agents ORDER BY agent_id').all() as AgentRow[]).map(toRecord);
  }

  /**
   * Removes agents last heard from before `beforeMs`, except those `connected` says are. An agent
   * id is free text from the hello: without pruning, every id ever used stays forever.
   */
  prune(beforeMs: number, connected: (agentId: string) => boolean): string[] {
    const old = (
      this.db
        .prepare('SELECT agent_id FROM agents WHERE last_contact_ms < ? AND last_event_ms < ?')
        .all(beforeMs, beforeMs) as { agent_id: string }[]
    )
      .map((r) => r.agent_id)
      .filter((id) => !connected(id));
    const del = this.db.prepare('DELETE FROM agents WHERE agent_id = ?');
    this.db.transaction(() => {
      for (const id of old) del.run(id);
    })();
    return old;
  }
}
