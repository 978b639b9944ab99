import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import {
  loadFsso,
  type AdminServiceClient,
  type AgentServiceClient,
  type CollectorMessage__Output,
} from '@fsso/common';
import { testPki } from './pki';

/** Resident memory of a process, from /proc (Linux), in MiB. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : -1;
}

/** How long one admin call (GetStats) takes, in ms: the figure the flood tests report. */
export function statsLatencyMs(client: AdminServiceClient, deadlineMs = 30_000, waitForReady = false): Promise<number> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    // waitForReady: keep trying to connect until the deadline instead of failing at the first refusal.
    client.getStats({}, new grpc.Metadata({ waitForReady }), { deadline: Date.now() + deadlineMs }, (err) =>
      err ? reject(err) : resolve(Number(process.hrtime.bigint() - t0) / 1e6),
    );
  });
}

export interface FloodEvent {
  user: string;
  ip: string;
}

/** One agent stream: hello, then the events in batches of `batch`, resolved after the last ack. */
export function report(
  client: AgentServiceClient,
  agentId: string,
  events: FloodEvent[],
  batch = 10_000,
): Promise<{ accepted: number; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const s = client.report();
    let accepted = 0;
    let acks = 0;
    const batches = Math.ceil(events.length / batch);
    s.on('data', (m: CollectorMessage__Output) => {
      if (!m.ack) return;
      accepted += m.ack.accepted;
      if (++acks === batches) {
        s.end();
        resolve({ accepted });
      }
    });
    s.on('error', (error: grpc.ServiceError) => resolve({ accepted, error }));
    const now = Date.now();
    s.write({
      hello: { agentId, domains: [], hostname: agentId, version: 'test', spoolId: agentId, headSeq: events.length },
    });
    for (let b = 0; b < batches; b++) {
      const part = events.slice(b * batch, (b + 1) * batch);
      s.write({
        batch: {
          headSeq: events.length,
          events: part.map((e, i) => ({
            seq: b * batch + i + 1,
            kind: 'USER_LOGON' as const,
            user: e.user,
            domain: 'CORP',
            ip: e.ip,
            eventTimeMs: now,
            source: 'test',
            sourceEventId: '4624',
            logonType: 3,
          })),
        },
      });
    }
  });
}

/** The i-th address of 198.18.0.0/15 (the benchmark range), skipping .0 and .255. */
export function floodIp(i: number): string {
  const n = i % (2 * 256 * 254);
  return `198.${18 + Math.floor(n / (256 * 254))}.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
}

const clients = new Map<string, AgentServiceClient>();

/**
 * An AgentService client with a certificate of its own for `agentId`: the collector binds a hello's
 * agent id to the certificate, so each agent a test plays needs its own.
 */
export function agentClient(address: string, agentId: string): AgentServiceClient {
  const key = `${address} ${agentId}`;
  let c = clients.get(key);
  if (!c) {
    const pki = testPki();
    const cert = pki.issue('agent', agentId, ['*']);
    const { proto } = loadFsso();
    c = new proto.fsso.v1.AgentService(
      address,
      grpc.credentials.createSsl(readFileSync(pki.ca), readFileSync(cert.key), readFileSync(cert.cert)),
    ) as AgentServiceClient;
    clients.set(key, c);
  }
  return c;
}
