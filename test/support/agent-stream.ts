import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { loadFsso, type AgentServiceClient, type CollectorMessage__Output, type Event } from '@fsso/common';
import type { Issued } from '@fsso/common';
import { startCollector, type CollectorHandle } from './processes';
import { testPki, type TestPki } from './pki';

/** What the collector answered a hello or a batch with. */
export type Reply = { ok: true; message: CollectorMessage__Output } | { ok: false; code: number; details: string };

/**
 * A raw AgentService.Report stream with a real certificate, speaking the protocol by hand, so a
 * test can send exactly what an attacker (or a well-behaved agent) would.
 */
export class AgentStream {
  private readonly client: AgentServiceClient;
  private readonly call: grpc.ClientDuplexStream<unknown, CollectorMessage__Output>;
  private readonly waiting: ((r: Reply) => void)[] = [];
  private ended: Reply | undefined;
  private seq = 0;

  constructor(address: string, ca: string, cert: Issued) {
    const { proto } = loadFsso();
    this.client = new proto.fsso.v1.AgentService(
      address,
      grpc.credentials.createSsl(readFileSync(ca), readFileSync(cert.key), readFileSync(cert.cert)),
    ) as AgentServiceClient;
    this.call = this.client.report() as unknown as grpc.ClientDuplexStream<unknown, CollectorMessage__Output>;
    this.call.on('data', (m: CollectorMessage__Output) => this.waiting.shift()?.({ ok: true, message: m }));
    this.call.on('error', (e: grpc.ServiceError) => this.finish({ ok: false, code: e.code, details: e.details }));
    this.call.on('end', () => this.finish({ ok: false, code: grpc.status.OK, details: 'stream ended' }));
  }

  private finish(r: Reply): void {
    this.ended ??= r;
    for (const w of this.waiting.splice(0)) w(r);
  }

  private next(): Promise<Reply> {
    if (this.ended) return Promise.resolve(this.ended);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  hello(agentId: string, domains: string[], spoolId = `spool-${agentId}`): Promise<Reply> {
    const r = this.next();
    this.call.write({ hello: { agentId, domains, hostname: agentId, version: 'test', spoolId, headSeq: 0 } });
    return r;
  }

  /** Sends events (sequence numbers are this stream's own) and resolves with the ack or the refusal. */
  send(events: Partial<Event>[]): Promise<Reply> {
    const now = Date.now();
    const batch = events.map((e) => ({
      kind: 'USER_LOGON',
      user: '',
      domain: '',
      ip: '',
      workstation: '',
      mac: '',
      eventTimeMs: now,
      source: 'test',
      sourceEventId: '',
      logonType: 3,
      reporter: '',
      ...e,
      seq: ++this.seq,
    }));
    const r = this.next();
    this.call.write({ batch: { events: batch, headSeq: this.seq } });
    return r;
  }

  /** As `send`, and asserts the collector acknowledged the batch (committed it). */
  async sendAcked(events: Partial<Event>[]): Promise<void> {
    const r = await this.send(events);
    assert.ok(r.ok && r.message.ack, JSON.stringify(r));
  }

  close(): void {
    this.call.end();
    this.client.close();
  }
}

/**
 * A real collector in `dir` fed by a CORP agent stream (certificate dc1) that has said hello: the
 * start of every test that drives a firewall-side consumer with logons. Both stop after the test.
 */
export async function startFedCollector(
  t: TestContext,
  dir: string,
): Promise<{ pki: TestPki; collector: CollectorHandle; agent: AgentStream }> {
  const pki = testPki();
  const collector = await startCollector(dir);
  t.after(() => collector.daemon.stop());
  const agent = new AgentStream(collector.address, pki.ca, pki.agent);
  t.after(() => agent.close());
  assert.ok((await agent.hello('dc1', ['CORP'])).ok);
  return { pki, collector, agent };
}
