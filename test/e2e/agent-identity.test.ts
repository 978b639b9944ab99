import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import {
  channelCredentials,
  loadFsso,
  type AgentMessage,
  type AgentServiceClient,
  type CollectorMessage__Output,
  type Issued,
} from '@fsso/common';
import { BIN } from '../support/paths';
import { runCommand, startAgent, startCollector, tempDir, type CollectorHandle } from '../support/processes';
import { testPki } from '../support/pki';
import { until } from '../support/grpc';

type Reply = { welcome?: number; acks: NonNullable<CollectorMessage__Output['ack']>[]; error?: grpc.ServiceError };

/** One Report stream with `cert`: writes `msgs`, and resolves with what came back once it ends. */
function report(c: CollectorHandle, cert: Issued, msgs: AgentMessage[], expectAcks: number): Promise<Reply> {
  const { proto } = loadFsso();
  const client = new proto.fsso.v1.AgentService(
    c.address,
    channelCredentials({ tls: { ca: testPki().ca, cert: cert.cert, key: cert.key } }),
  ) as AgentServiceClient;
  return new Promise((resolve) => {
    const out: Reply = { acks: [] };
    const done = (): void => {
      client.close();
      resolve(out);
    };
    const s = client.report();
    s.on('data', (m: CollectorMessage__Output) => {
      if (m.welcome) out.welcome = m.welcome.ackedSeq;
      if (m.ack) out.acks.push(m.ack);
      if (out.acks.length === expectAcks) s.end();
    });
    s.on('error', (e: grpc.ServiceError) => {
      out.error = e;
      done();
    });
    s.on('end', done);
    for (const m of msgs) s.write(m);
    if (expectAcks === 0 && msgs.every((m) => !m.batch)) s.end();
  });
}

const hello = (agentId: string, headSeq: number, spoolId = `${agentId}-spool`): AgentMessage => ({
  hello: { agentId, domains: ['CORP'], hostname: agentId, version: 'test', spoolId, headSeq, lastAckedSeq: 0 },
});
const logon = (seq: number, user: string, ip: string) => ({
  seq,
  kind: 'USER_LOGON' as const,
  user,
  domain: 'CORP',
  ip,
  eventTimeMs: Date.now(),
  source: 'windows-security',
  sourceEventId: '4624',
  logonType: 3,
});
const batch = (headSeq: number, ...events: ReturnType<typeof logon>[]): AgentMessage => ({
  batch: { events, headSeq },
});

interface AgentRow {
  agentId: string;
  connected: boolean;
  ackedSeq: number;
}

test('an agent is who its certificate says: another certificate cannot take over or silence it', async (t) => {
  const dir = tempDir('agent-identity');
  t.after(dir.cleanup);
  const pki = testPki();
  const collector = await startCollector(dir.path, { config: { limits: { maxEventsPerSecond: 100 } } });
  t.after(() => collector.daemon.stop());
  const ctl = async <T>(...args: string[]): Promise<T> => {
    const r = await runCommand(BIN.ctl, [...args, '--json', ...collector.args('admin')]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as T;
  };
  const userAt = async (ip: string): Promise<string> =>
    (await ctl<{ ip: string; user: string }[]>('logons')).find((r) => r.ip === ip)?.user ?? '';

  // The real agent dc1 (the test PKI's agent certificate), following a live file.
  const feed = join(dir.path, 'live.jsonl');
  writeFileSync(feed, '');
  const agent = startAgent(dir.path, {
    collectors: [{ name: 'main', address: collector.address }],
    sources: [{ name: 'live', format: 'events', path: 'live.jsonl', follow: true, pollInterval: '100ms' }],
    filters: { coalesceWindow: '0s' },
  });
  t.after(() => agent.stop());
  const say = (user: string, ip: string): void =>
    appendFileSync(
      feed,
      `${JSON.stringify({ kind: 'USER_LOGON', user, domain: 'CORP', ip, source: 'windows-security', sourceEventId: '4624', logonType: 3, eventTimeMs: Date.now() })}\n`,
    );
  say('alice', '198.18.20.1');
  await until('alice lands', async () => (await userAt('198.18.20.1')) === 'alice');
  const started = await agent.waitFor((l) => l.message === 'agent started');
  assert.equal(started['agentId'], 'dc1', 'the agent takes its id from its certificate');

  await t.test(
    "another agent's certificate naming dc1 in its hello: PERMISSION_DENIED, logged, counted; dc1 stays connected",
    async () => {
      const dc2 = pki.issue('agent', 'dc2', ['*']);
      const before = await ctl<{ denied: number }>('stats');
      const r = await report(
        collector,
        dc2,
        [hello('dc1', 2 ** 53 - 2, ''), batch(2 ** 53 - 2, logon(2 ** 53 - 2, 'mallory', '198.18.20.1'))],
        0,
      );
      assert.equal(r.error?.code, grpc.status.PERMISSION_DENIED);
      assert.match(
        r.error?.details ?? '',
        /^certificate dc2 \(sha256 [0-9a-f]{16}…\) is agent dc2, but the hello names agent dc1; an agent reports under its certificate's id: set agentId to dc2 \(or leave it unset\), or issue a certificate for dc1/,
      );
      const line = await collector.daemon.waitFor((l) => l.message === "agent refused: hello names another agent's id");
      assert.equal(line.level, 'warn');
      assert.match(String(line['certificate']), /^dc2 \(sha256 /);
      assert.equal(line['agent'], 'dc1');
      assert.equal((await ctl<{ denied: number }>('stats')).denied, before.denied + 1);
      const agents = await ctl<AgentRow[]>('agents');
      assert.deepEqual(
        agents.map((a) => [a.agentId, a.connected]),
        [['dc1', true]],
        'dc1 is still connected; nothing was recorded for the impostor',
      );
      assert.ok(
        !collector.daemon.lines.some((l) => l.message === 'agent disconnected'),
        'the real stream was never replaced',
      );
      say('bob', '198.18.20.2');
      await until("dc1's next event lands", async () => (await userAt('198.18.20.2')) === 'bob');
      assert.equal(await userAt('198.18.20.1'), 'alice', "mallory's event never landed");

      // Legitimate use next to it: dc2 under its own id.
      const own = await report(collector, dc2, [hello('dc2', 1), batch(1, logon(1, 'carol', '198.18.21.1'))], 1);
      assert.equal(own.error, undefined, own.error?.details);
      assert.deepEqual(own.acks, [{ ackedSeq: 1, accepted: 1, duplicates: 0, rejected: 0, rejections: [] }]);
    },
  );

  await t.test(
    'silencing dc1 with its own certificate fails: empty spool id, seq 2^53-1, a jump past the head; its later events land',
    async () => {
      const spoolId = String(started['spoolId']);
      const mark = (await ctl<AgentRow[]>('agents')).find((a) => a.agentId === 'dc1')?.ackedSeq ?? -1;
      assert.ok(mark >= 2, `dc1 acked its two events (${mark})`);
      const stats0 = await ctl<{ limitHits: Record<string, number> }>('stats');

      const empty = await report(collector, pki.agent, [hello('dc1', 2 ** 53 - 2, '')], 0);
      assert.equal(empty.error?.code, grpc.status.INVALID_ARGUMENT);
      assert.match(empty.error?.details ?? '', /spoolId is empty/);
      const maxed = await report(collector, pki.agent, [hello('dc1', 2 ** 53 - 1, spoolId)], 0);
      assert.equal(maxed.error?.code, grpc.status.INVALID_ARGUMENT);
      assert.match(maxed.error?.details ?? '', /headSeq 9007199254740991 is not a sequence number/);

      const attempts: [AgentMessage, RegExp][] = [
        [
          batch(2 ** 53 - 1, logon(2 ** 53 - 1, 'mallory', '198.18.20.9')),
          /event seq 9007199254740991 is not a sequence number|headSeq 9007199254740991 is not a sequence number/,
        ],
        [
          batch(mark + 5, logon(mark + 500, 'mallory', '198.18.20.9')),
          new RegExp(`event seq ${mark + 500} is beyond the head ${mark + 5} the batch reports`),
        ],
        [
          batch(2 ** 53 - 2, logon(mark + 20_000, 'mallory', '198.18.20.9')),
          new RegExp(`event seq ${mark + 20_000} jumps more than limits\\.maxBatchEvents \\(10000\\) past seq ${mark}`),
        ],
      ];
      for (const [msg, says] of attempts) {
        const r = await report(collector, pki.agent, [hello('dc1', mark, spoolId), msg], 1);
        assert.equal(r.welcome, mark);
        assert.equal(r.error?.code, grpc.status.INVALID_ARGUMENT, `refused: ${String(says)}`);
        assert.match(r.error?.details ?? '', says);
      }
      await collector.daemon.waitFor(
        (l) => l.message === 'batch refused: sequence numbers out of range' && l.level === 'warn',
      );
      const stats = await ctl<{ limitHits: Record<string, number> }>('stats');
      assert.equal((stats.limitHits['sequence'] ?? 0) - (stats0.limitHits['sequence'] ?? 0), 3, 'each refusal counted');
      assert.equal(
        (await ctl<AgentRow[]>('agents')).find((a) => a.agentId === 'dc1')?.ackedSeq,
        mark,
        'the mark did not move',
      );

      // Each attempt replaced dc1's stream; the real agent reconnects and carries on.
      say('dave', '198.18.20.3');
      await until("dc1's later event lands", async () => (await userAt('198.18.20.3')) === 'dave', 60_000, 200);
      assert.equal(await userAt('198.18.20.9'), '', 'nothing of the refused batches landed');
      await until(
        'dc1 connected again',
        async () => (await ctl<AgentRow[]>('agents')).find((a) => a.agentId === 'dc1')?.connected === true,
      );
    },
  );

  await t.test('ten hellos with ten ids from one certificate share one rate limit', async () => {
    const rl = pki.issue('agent', 'rl', ['*']);
    const hits0 = (await ctl<{ limitHits: Record<string, number> }>('stats')).limitHits['maxEventsPerSecond'] ?? 0;
    const hundred = (start: number): AgentMessage =>
      batch(start + 99, ...Array.from({ length: 100 }, (_, i) => logon(start + i, `u${i}`, `198.18.30.${i + 1}`)));
    // All at once, as an attacker multiplying the limit would: only the certificate's own id is taken.
    const ids = ['rl', ...Array.from({ length: 9 }, (_, i) => `rl-${i + 1}`)];
    const all = await Promise.all(ids.map((id) => report(collector, rl, [hello(id, 100), hundred(1)], 1)));
    assert.deepEqual(
      all.map((r) => r.error?.code ?? 'ok'),
      ['ok', ...Array(9).fill(grpc.status.PERMISSION_DENIED)],
    );
    assert.equal(all[0]?.acks[0]?.accepted, 100);
    // The next 100 from the same certificate, within the second, find the bucket (100/s) empty.
    const again = await report(collector, rl, [hello('rl', 200), hundred(101)], 1);
    assert.equal(again.error?.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(again.error?.details ?? '', /over limits\.maxEventsPerSecond \(100\) for this agent/);
    assert.equal(
      (await ctl<{ limitHits: Record<string, number> }>('stats')).limitHits['maxEventsPerSecond'],
      hits0 + 1,
    );
  });
});

test("a mark left past the agent's head (by a forged batch before this fix) heals at its next hello", async (t) => {
  const dir = tempDir('agent-mark');
  t.after(dir.cleanup);
  const feed = join(dir.path, 'events.jsonl');
  const line = (user: string, ip: string): string =>
    `${JSON.stringify({ kind: 'USER_LOGON', user, domain: 'CORP', ip, source: 'windows-security', sourceEventId: '4624', logonType: 3, eventTimeMs: Date.now() })}\n`;
  const deliver = async (c: CollectorHandle): Promise<void> => {
    const a = startAgent(
      dir.path,
      {
        collectors: [{ name: 'main', address: c.address }],
        sources: [{ name: 'f', format: 'events', path: 'events.jsonl' }],
        filters: { coalesceWindow: '0s' },
      },
      ['--until-delivered'],
    );
    t.after(() => a.stop());
    assert.equal(await a.exited, 0, a.stderr.join('\n'));
  };
  writeFileSync(feed, line('alice', '198.18.22.1'));
  const first = await startCollector(dir.path);
  await deliver(first);
  assert.equal(await first.daemon.stop(), 0);
  // What the old collector let any agent certificate do: a mark at 2^53-2, kept across restarts.
  const db = new Database(join(dir.path, 'collector-data/collector.db'));
  db.prepare('UPDATE agents SET acked_seq = ? WHERE agent_id = ?').run(2 ** 53 - 2, 'dc1');
  db.close();

  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());
  appendFileSync(feed, line('bob', '198.18.22.2'));
  await deliver(collector);
  const healed = await collector.daemon.waitFor(
    (l) =>
      l.message === "the collector's mark for this agent is past the agent's head; resuming from the agent's cursor",
  );
  assert.equal(healed.level, 'warn');
  assert.equal(healed['oldAckedSeq'], 2 ** 53 - 2);
  const rows = JSON.parse((await runCommand(BIN.ctl, ['logons', '--json', ...collector.args()])).stdout) as {
    ip: string;
    user: string;
  }[];
  assert.equal(
    rows.find((r) => r.ip === '198.18.22.2')?.user,
    'bob',
    "the agent's new event landed instead of counting as a duplicate",
  );
  const agents = JSON.parse(
    (await runCommand(BIN.ctl, ['agents', '--json', ...collector.args()])).stdout,
  ) as AgentRow[];
  assert.ok((agents[0]?.ackedSeq ?? 0) < 100, `the mark is back in the agent's range (${agents[0]?.ackedSeq})`);
});
