/**
 * `npm run bench`: events per second through one real collector process over gRPC (mutual TLS,
 * SQLite with fsync per batch), for a few batch sizes, next to a baseline measured in the same
 * run on the same machine: the same rows inserted straight into SQLite in one process.
 * Prints figures; asserts nothing (tests never assert wall-clock times).
 */
import { join } from 'node:path';
import { cpus } from 'node:os';
import Database from 'better-sqlite3';
import { loadFsso, type AgentServiceClient, type CollectorMessage__Output, type Event } from '@fsso/common';
import { startCollector, tempDir } from '../support/processes';

const TOTAL = Number(process.env['FSSO_BENCH_EVENTS'] ?? 200_000);

/** `addresses` distinct users/addresses: 5 000 is a steady working day, 50 000 a 9 am storm of new logons. */
let addresses = 50_000;

function events(n: number, from: number, now: number): Event[] {
  return Array.from({ length: n }, (_, i) => {
    const k = from + i;
    return {
      seq: k,
      kind: 'USER_ACTIVITY',
      user: `user${k % addresses}`,
      domain: 'CORP',
      ip: `198.18.${Math.floor((k % addresses) / 250)}.${(k % 250) + 1}`,
      eventTimeMs: now,
      source: 'windows-security',
      sourceEventId: '4769',
      logonType: 0,
      reporter: 'dc1',
    };
  });
}

async function throughGrpc(batch: number): Promise<number> {
  const dir = tempDir('bench');
  const collector = await startCollector(dir.path, {
    config: { limits: { maxEventsPerSecond: 100_000_000, maxBatchEvents: 100_000, maxMessageBytes: 64 * 1024 * 1024 } },
  });
  const { proto } = loadFsso();
  const client = new proto.fsso.v1.AgentService(collector.address, collector.credentials('agent'), {
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  }) as AgentServiceClient;
  const now = Date.now();
  const batches = Array.from({ length: Math.ceil(TOTAL / batch) }, (_, b) =>
    events(Math.min(batch, TOTAL - b * batch), b * batch + 1, now),
  );
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const s = client.report();
    let next = 0;
    let inFlight = 0;
    const pump = (): void => {
      while (inFlight < 8 && next < batches.length) {
        s.write({ batch: { events: batches[next], headSeq: TOTAL } });
        next++;
        inFlight++;
      }
    };
    s.on('data', (m: CollectorMessage__Output) => {
      if (m.welcome) pump();
      if (m.ack) {
        inFlight--;
        if (m.ack.ackedSeq >= TOTAL) {
          s.end();
          resolve();
        } else pump();
      }
    });
    s.on('error', reject);
    // The id is the test agent certificate's: the collector refuses a hello naming another.
    s.write({
      hello: {
        agentId: 'dc1',
        domains: ['CORP'],
        hostname: 'bench',
        version: 'bench',
        spoolId: 'bench',
        headSeq: TOTAL,
      },
    });
  });
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  client.close();
  await collector.daemon.stop();
  dir.cleanup();
  return TOTAL / secs;
}

function sqliteBaseline(batch: number): number {
  const dir = tempDir('bench-sqlite');
  const db = new Database(join(dir.path, 'b.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(
    'CREATE TABLE events (id INTEGER PRIMARY KEY, agent_id TEXT, seq INTEGER, kind TEXT, user TEXT, domain TEXT, ip TEXT, t INTEGER)',
  );
  const ins = db.prepare('INSERT INTO events (agent_id, seq, kind, user, domain, ip, t) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const tx = db.transaction((evs: Event[]) => {
    for (const e of evs) ins.run('bench', e.seq, e.kind, e.user, e.domain, e.ip, e.eventTimeMs);
  });
  const now = Date.now();
  const started = process.hrtime.bigint();
  for (let from = 1; from <= TOTAL; from += batch) tx(events(Math.min(batch, TOTAL - from + 1), from, now));
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  dir.cleanup();
  return TOTAL / secs;
}

async function main(): Promise<void> {
  process.noDeprecation = true;
  const fmt = (n: number): string => `${Math.round(n).toLocaleString('en-US')} events/s`;
  console.log(`FSSO ingest benchmark: ${TOTAL.toLocaleString('en-US')} events per run, ${cpus().length} cores`);
  console.log('addresses  batch    baseline (SQLite only)   collector over gRPC+mTLS   ratio');
  for (const a of [5_000, 50_000]) {
    addresses = a;
    for (const batch of [500, 2000, 10_000]) {
      const base = sqliteBaseline(batch);
      const real = await throughGrpc(batch);
      console.log(
        `${String(a).padEnd(10)} ${String(batch).padEnd(8)} ${fmt(base).padEnd(24)} ${fmt(real).padEnd(26)} ${(real / base).toFixed(2)}`,
      );
    }
  }
  console.log('target: >= 100,000 events/s through one collector (issue 2)');
}

void main();
