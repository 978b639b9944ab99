/**
 * What the firewall-side scenarios share: a real collector process holding `n` mappings, put there
 * by a real agent stream (mutual TLS, the test PKI's agent certificate), and a real
 * IdentityReplica following it. Seeding 1 M mappings takes a while, so a seeded collector is kept
 * for the other scenarios of the same run and stopped (by pid) when the bench process exits.
 */
import type * as grpc from '@grpc/grpc-js';
import { loadFsso, type AgentServiceClient, type CollectorMessage__Output, type Event } from '@fsso/common';
import { IdentityReplica } from '@fsso/firewall-client';
import { startCollector, tempDir, type CollectorHandle } from '../../support/processes';
import { BENCH_LIMITS } from '../harness/load';

/** The `i`-th bench address: table data only, never contacted (nothing resolves or connects to it). */
export function benchIp(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

export function logon(i: number, seq: number, now: number, user = `user${i}`): Event {
  return {
    seq,
    kind: 'USER_LOGON',
    user,
    domain: 'CORP',
    ip: benchIp(i),
    workstation: '',
    mac: '',
    eventTimeMs: now,
    source: 'windows-security',
    sourceEventId: '4624',
    logonType: 3,
    reporter: 'dc1',
  };
}

let spools = 0;

/** An agent stream as `fsso-dc-agent` speaks it: hello, then batches, each acked after its commit. */
export class BenchAgent {
  private readonly client: AgentServiceClient;
  private readonly call: grpc.ClientDuplexStream<unknown, CollectorMessage__Output>;
  private readonly acks: (() => void)[] = [];
  private welcomed: Promise<void>;
  seq = 0;

  constructor(collector: CollectorHandle, head = 1_000_000_000) {
    const { proto } = loadFsso();
    this.client = new proto.fsso.v1.AgentService(collector.address, collector.credentials('agent'), {
      'grpc.max_send_message_length': 64 * 1024 * 1024,
    }) as AgentServiceClient;
    this.call = this.client.report() as unknown as grpc.ClientDuplexStream<unknown, CollectorMessage__Output>;
    this.welcomed = new Promise((resolve, reject) => {
      this.call.on('data', (m: CollectorMessage__Output) => {
        if (m.welcome) resolve();
        if (m.ack) this.acks.shift()?.();
      });
      this.call.on('error', reject);
    });
    this.call.on('error', () => undefined);
    // The id is the test agent certificate's: the collector refuses a hello naming another. Each
    // stream is a new spool: seqs start at 1 again, which the collector would take for duplicates
    // of a spool it already acknowledged.
    const spoolId = `bench-${process.pid}-${++spools}`;
    this.call.write({
      hello: { agentId: 'dc1', domains: ['CORP'], hostname: 'bench', version: 'bench', spoolId, headSeq: head },
    });
  }

  ready(): Promise<void> {
    return this.welcomed;
  }

  /** Sends one batch (seqs are set here) and resolves on its ack. */
  send(events: Event[]): Promise<void> {
    for (const e of events) e.seq = ++this.seq;
    const acked = new Promise<void>((resolve) => this.acks.push(resolve));
    this.call.write({ batch: { events, headSeq: this.seq } });
    return acked;
  }

  close(): void {
    this.call.end();
    this.client.close();
  }
}

/** Fills a collector with `n` distinct users at `n` addresses, 8 batches of 10 000 in flight. */
export async function seed(collector: CollectorHandle, n: number, from = 0): Promise<void> {
  const agent = new BenchAgent(collector);
  await agent.ready();
  const now = Date.now();
  const BATCH = 10_000;
  const inFlight: Promise<void>[] = [];
  for (let b = from; b < from + n; b += BATCH) {
    const events: Event[] = [];
    for (let i = b; i < Math.min(b + BATCH, from + n); i++) events.push(logon(i, 0, now));
    inFlight.push(agent.send(events));
    if (inFlight.length >= 8) await inFlight.shift();
  }
  await Promise.all(inFlight);
  agent.close();
}

export interface Seeded {
  collector: CollectorHandle;
  dir: string;
  n: number;
}

const seeded = new Map<number, Promise<Seeded>>();
const running: { pid: number; cleanup: () => void }[] = [];
process.on('exit', () => {
  for (const r of running) {
    try {
      process.kill(r.pid, 'SIGKILL');
    } catch {
      // already stopped
    }
    r.cleanup();
  }
});

/** A collector holding `n` mappings, started (and seeded) once per bench run. */
export function seededCollector(n: number): Promise<Seeded> {
  let p = seeded.get(n);
  if (!p) {
    p = (async () => {
      const dir = tempDir(`bench-replica-${n}`);
      const collector = await startCollector(dir.path, { config: { limits: BENCH_LIMITS } });
      running.push({ pid: collector.daemon.pid, cleanup: dir.cleanup });
      await seed(collector, n);
      return { collector, dir: dir.path, n };
    })();
    seeded.set(n, p);
  }
  return p;
}

/** Stops the seeded collectors now (the runner may run other scenarios after ours). */
export async function stopSeeded(): Promise<void> {
  for (const [n, p] of seeded) {
    const s = await p;
    await s.collector.daemon.stop();
    seeded.delete(n);
  }
  for (const r of running.splice(0)) r.cleanup();
}

/** A real replica of `collector`, resolved when it holds the whole table. */
export async function syncedReplica(collector: CollectorHandle, timeoutMs = 120_000): Promise<IdentityReplica> {
  const replica = new IdentityReplica({
    address: collector.address,
    credentials: collector.credentials('firewall'),
    clientName: 'bench',
  });
  replica.start();
  await replica.whenReady(timeoutMs);
  return replica;
}

/** Percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
