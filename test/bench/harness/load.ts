/**
 * Load for the collector-side scenarios, from this process over gRPC with a real agent
 * certificate: the agent protocol (hello, batches, acks) spoken by hand, as test/support/flood.ts
 * does, so the collector does exactly what it does for a DC agent.
 */
import type * as grpc from '@grpc/grpc-js';
import type { AgentServiceClient, CollectorMessage__Output, Event } from '@fsso/common';

/** Limits high enough that the bench measures the collector, not its flood protection. */
export const BENCH_LIMITS = {
  maxEventsPerSecond: 100_000_000,
  maxBatchEvents: 100_000,
  maxMessageBytes: 64 * 1024 * 1024,
  maxEntriesPerDomain: 10_000_000,
};

/**
 * The i-th benchmark address: 198.18.0.0/15 (RFC 2544) up to its 130 048 usable addresses, then
 * the documentation prefix 2001:db8::/32 (RFC 3849). Data only: nothing ever connects to them.
 */
export function benchIp(i: number): string {
  const v4 = 2 * 256 * 254;
  if (i < v4) return `198.${18 + Math.floor(i / (256 * 254))}.${Math.floor(i / 254) % 256}.${(i % 254) + 1}`;
  const j = i - v4;
  return `2001:db8:0:${(j >> 16).toString(16)}::${((j & 0xffff) + 1).toString(16)}`;
}

/**
 * Events `from`..`from+n-1` (seq = index + 1) over `addresses` users, user k at address k. With
 * `machines`, each also names workstation `WKS<k>` (one machine per address), as real logons do
 * (4624 WorkstationName, Samba's `workstation`): every such event goes through the workstation
 * memory, and nothing else differs from the same events naming none.
 */
export function benchEvents(
  n: number,
  from: number,
  addresses: number,
  now: number,
  offset = 0,
  machines = false,
): Event[] {
  const out: Event[] = new Array<Event>(n);
  for (let i = 0; i < n; i++) {
    const k = from + i;
    const a = offset + (k % addresses);
    out[i] = {
      seq: k + 1,
      kind: 'USER_ACTIVITY',
      user: `user${a}`,
      domain: 'CORP',
      ip: benchIp(a),
      eventTimeMs: now,
      source: 'windows-security',
      sourceEventId: '4769',
      logonType: 0,
      reporter: 'dc1',
      ...(machines ? { workstation: `WKS${a}` } : {}),
    };
  }
  return out;
}

/** Batches of `batch` events covering `total` events (naming a workstation each with `machines`). */
export function benchBatches(total: number, batch: number, addresses: number, offset = 0, machines = false): Event[][] {
  const now = Date.now();
  return Array.from({ length: Math.ceil(total / batch) }, (_, b) =>
    benchEvents(Math.min(batch, total - b * batch), b * batch, addresses, now, offset, machines),
  );
}

/**
 * One Report stream: hello, then the batches with up to `window` unacknowledged (an agent's
 * pipelining), resolved with the seconds from the first batch to the last ack.
 */
export function pump(client: AgentServiceClient, agentId: string, batches: Event[][], window = 8): Promise<number> {
  const total = batches.reduce((n, b) => n + b.length, 0);
  const last = Number(batches.at(-1)?.at(-1)?.seq ?? 0);
  return new Promise<number>((resolve, reject) => {
    const s = client.report();
    let next = 0;
    let inFlight = 0;
    let started = 0n;
    const send = (): void => {
      while (inFlight < window && next < batches.length) {
        s.write({ batch: { events: batches[next], headSeq: last } });
        next++;
        inFlight++;
      }
    };
    s.on('data', (m: CollectorMessage__Output) => {
      if (m.welcome) {
        started = process.hrtime.bigint();
        send();
      }
      if (m.ack) {
        inFlight--;
        if (m.ack.ackedSeq >= last) {
          const secs = Number(process.hrtime.bigint() - started) / 1e9;
          s.end();
          resolve(secs);
        } else send();
      }
    });
    s.on('error', (e: grpc.ServiceError) => reject(new Error(`Report stream failed: ${e.details || e.message}`)));
    s.write({
      hello: {
        agentId,
        domains: ['CORP'],
        hostname: 'bench',
        version: 'bench',
        spoolId: agentId,
        headSeq: Math.max(total, last),
      },
    });
  });
}

/**
 * Gives the table `n` mappings (addresses from `offset`), in batches of 5 000. Event `offset + k`
 * has seq `offset + k + 1`: a second fill on the same collector continues the agent's sequence
 * (restarting it at 1 made the collector drop the first `offset` events as duplicates, so the
 * "1 M" row of collector-rss held 900 k mappings).
 */
export async function fill(client: AgentServiceClient, agentId: string, n: number, offset = 0): Promise<void> {
  const step = 200_000;
  for (let done = 0; done < n; done += step) {
    // Fresh events per chunk keep the bench's own memory flat at 1 M mappings.
    const part = Math.min(step, n - done);
    const batches = benchBatches(part, 5000, part, offset + done).map((b) =>
      b.map((e) => ({ ...e, seq: Number(e.seq ?? 0) + offset + done })),
    );
    await pump(client, agentId, batches);
  }
}
