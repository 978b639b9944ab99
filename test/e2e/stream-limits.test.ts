import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadFsso, type IdentityServiceClient, type SyncMessage__Output } from '@fsso/common';
import { BIN } from '../support/paths';
import { adminClient, until } from '../support/grpc';
import { agentClient, floodIp, report, rssMiB, statsLatencyMs } from '../support/flood';
import {
  runCommand,
  startAgent,
  startCollector,
  startWatch,
  tempDir,
  type CollectorHandle,
} from '../support/processes';
import { manyLogons } from '../support/synthetic';
import { testPki } from '../support/pki';

type Outcome =
  { open: true; stream: grpc.ClientReadableStream<SyncMessage__Output> } | { open: false; error: grpc.ServiceError };

/** Opens a Sync stream and resolves once it is serving (its first message) or refused. */
function openSync(client: IdentityServiceClient, name: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const stream = client.sync({ clientName: name, tableId: '', fromRevision: 0 });
    stream.once('data', () => resolve({ open: true, stream }));
    stream.on('error', (error: grpc.ServiceError) => resolve({ open: false, error }));
  });
}

/** grpc.health.v1.Health/Watch for the overall status (an empty request), by a raw client. */
function openWatch(
  c: CollectorHandle,
  role: 'admin' | 'firewall',
): Promise<{ open: boolean; error?: grpc.ServiceError; call: grpc.ClientReadableStream<Buffer>; client: grpc.Client }> {
  const client = new grpc.Client(c.address, c.credentials(role));
  return new Promise((resolve) => {
    const call = client.makeServerStreamRequest(
      '/grpc.health.v1.Health/Watch',
      () => Buffer.alloc(0),
      (b: Buffer) => b,
      {},
    );
    call.once('data', () => resolve({ open: true, call, client }));
    call.on('error', (error: grpc.ServiceError) => resolve({ open: false, error, call, client }));
  });
}

const stats = async (
  c: CollectorHandle,
): Promise<{ limitHits: Record<string, number>; openStreams: number; eventsAccepted: number }> =>
  JSON.parse((await runCommand(BIN.ctl, ['stats', '--json', ...c.args()])).stdout) as {
    limitHits: Record<string, number>;
    openStreams: number;
    eventsAccepted: number;
  };

test('1 000 Sync streams from one firewall certificate: all but its quota refused, and an agent still connects', async (t) => {
  const dir = tempDir('stream-flood');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());
  const { proto } = loadFsso();
  const admin = adminClient(collector);
  t.after(() => admin.close());
  const rssBefore = rssMiB(collector.daemon.pid);

  const fw = new proto.fsso.v1.IdentityService(
    collector.address,
    collector.credentials('firewall'),
  ) as IdentityServiceClient;
  t.after(() => fw.close());
  const flood = Promise.all(Array.from({ length: 1000 }, (_, i) => openSync(fw, `flood-${i}`)));
  const latencyDuring = await statsLatencyMs(admin);
  const outcomes = await flood;
  const open = outcomes.filter((o): o is Extract<Outcome, { open: true }> => o.open);
  const refused = outcomes.filter((o): o is Extract<Outcome, { open: false }> => !o.open);
  const rssDuring = rssMiB(collector.daemon.pid);
  assert.equal(open.length, 8, 'limits.streamsPerCertificate.sync defaults to 8');
  assert.equal(refused.length, 992);
  assert.ok(refused.every((r) => r.error.code === grpc.status.RESOURCE_EXHAUSTED));
  assert.match(
    refused[0]?.error.details ?? '',
    /this certificate already has 8 open sync streams \(limits\.streamsPerCertificate\.sync is 8\); close some, or raise the limit/,
  );

  // Another firewall certificate still gets its streams, and a real agent process still connects and delivers.
  const other = new proto.fsso.v1.IdentityService(
    collector.address,
    grpc.credentials.createSsl(...otherFirewall('fw2')),
  ) as IdentityServiceClient;
  t.after(() => other.close());
  const fw2 = await openSync(other, 'fw2');
  assert.equal(fw2.open, true);
  writeFileSync(join(dir.path, 'events.xml'), manyLogons(50).xml);
  const agent = startAgent(
    dir.path,
    {
      collectors: [{ name: 'main', address: collector.address }],
      sources: [{ format: 'windows-xml', path: 'events.xml', stampReadTime: true }],
    },
    ['--until-delivered'],
  );
  t.after(() => agent.stop());
  assert.equal(await agent.exited, 0, agent.stderr.join('\n'));

  // Health Watch streams count too: the ninth from one certificate is refused.
  const watches: Awaited<ReturnType<typeof openWatch>>[] = [];
  for (let i = 0; i < 9; i++) watches.push(await openWatch(collector, 'admin'));
  t.after(() =>
    watches.forEach((w) => {
      w.call.cancel();
      w.client.close();
    }),
  );
  assert.deepEqual(
    watches.map((w) => w.open),
    [true, true, true, true, true, true, true, true, false],
  );
  assert.match(watches[8]?.error?.details ?? '', /limits\.streamsPerCertificate\.watch is 8/);

  const s = await stats(collector);
  assert.equal(s.eventsAccepted, 50);
  assert.equal(s.limitHits['streamsPerCertificate.sync'], 992);
  assert.equal(s.limitHits['streamsPerCertificate.watch'], 1);
  const line = await collector.daemon.waitFor(
    (l) =>
      l.message === 'streams refused by a limit: 1 in the last 10 s' &&
      l['limit'] === 'limits.streamsPerCertificate.sync',
  );
  assert.match(String(line['certificate']), /^fw1 \(sha256 /, 'the first refusal names the certificate at once');
  await collector.daemon.waitFor(
    (l) => /^streams refused by a limit: \d+ in the last 10 s$/.test(String(l.message)) && Number(l['count']) >= 990,
    15_000,
  );

  for (const o of open) o.stream.cancel();
  await until('the flood streams are released', async () => (await stats(collector)).openStreams <= 10, 10_000, 100);
  const latencyAfter = await statsLatencyMs(admin);
  t.diagnostic(
    `RSS MiB before/during/after: ${rssBefore}/${rssDuring}/${rssMiB(collector.daemon.pid)}; GetStats ms during/after: ${latencyDuring.toFixed(1)}/${latencyAfter.toFixed(1)}`,
  );
});

test('a Sync client that stops reading is cut with RESOURCE_EXHAUSTED and a log line; memory stays bounded; a reading firewall is unaffected', async (t) => {
  const dir = tempDir('slow-sync');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path, {
    config: {
      durability: 'normal',
      limits: { maxSyncBufferBytes: 2 * 1024 * 1024, maxSyncBufferTotalBytes: 8 * 1024 * 1024 },
    },
  });
  t.after(() => collector.daemon.stop());
  const admin = adminClient(collector);
  t.after(() => admin.close());
  const big = await report(
    agentClient(collector.address, 'dc-big'),
    'dc-big',
    Array.from({ length: 60_000 }, (_, i) => ({ user: `user${i}`, ip: floodIp(i) })),
  );
  assert.equal(big.accepted, 60_000, big.error?.message);
  const rssBefore = rssMiB(collector.daemon.pid);

  const fw = new (loadFsso().proto.fsso.v1.IdentityService)(
    collector.address,
    collector.credentials('firewall'),
  ) as IdentityServiceClient;
  t.after(() => fw.close());
  const slow = await openSync(fw, 'stuck-firewall');
  assert.equal(slow.open, true);
  if (!slow.open) return;
  slow.stream.pause(); // stops reading: HTTP/2 flow control backs up into the collector
  const watch = await startWatch(t, collector);

  // Changes keep coming; the stuck stream's queue grows past limits.maxSyncBufferBytes.
  let round = 0;
  const line = collector.daemon.waitFor(
    (l) => l.message === 'sync client not reading; its stream ends so it resumes later',
    60_000,
  );
  let cut = false;
  void line.then(
    () => (cut = true),
    () => undefined,
  );
  let rssDuring = 0;
  let latencyDuring = 0;
  while (!cut && round < 40) {
    const r = await report(
      agentClient(collector.address, `dc-churn-${round}`),
      `dc-churn-${round}`,
      Array.from({ length: 5000 }, (_, i) => ({ user: `churn${round}-${i}`, ip: floodIp(60_000 + round * 5000 + i) })),
    );
    assert.equal(r.error, undefined, r.error?.message);
    rssDuring = Math.max(rssDuring, rssMiB(collector.daemon.pid));
    latencyDuring = Math.max(latencyDuring, await statsLatencyMs(admin));
    round++;
  }
  const l = await line;
  assert.equal(l['client'], 'stuck-firewall');
  assert.equal(l['limit'], 'limits.maxSyncBufferBytes');
  // When it reads again, it gets what was already sent, then the status.
  const status = new Promise<grpc.ServiceError>((resolve) => slow.stream.on('error', resolve));
  slow.stream.on('data', () => undefined);
  slow.stream.resume();
  const err = await status;
  assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(
    err.details,
    /the client is not reading: \d+ bytes queued for it, over limits\.maxSyncBufferBytes \(2097152\); read faster, then reconnect with your last revision/,
  );
  const s = await stats(collector);
  assert.ok((s.limitHits['maxSyncBufferBytes'] ?? 0) >= 1);
  assert.ok(rssDuring < 600, `collector RSS stayed bounded (${rssDuring} MiB)`);
  // The firewall that reads kept up with every change.
  await until(
    'the reading firewall holds the last change',
    () =>
      watch.lines.some((x) =>
        ((x['identity'] as { user?: string } | null)?.user ?? '').startsWith(`churn${round - 1}-`),
      ),
    30_000,
    100,
  );
  t.diagnostic(
    `60 000 entries, ${round} rounds of 5 000 changes; RSS MiB before/peak during: ${rssBefore}/${rssDuring}; GetStats ms worst during: ${latencyDuring.toFixed(1)}`,
  );
});

/** Credentials of another firewall certificate from the test CA. */
function otherFirewall(name: string): [Buffer, Buffer, Buffer] {
  const pki = testPki();
  const cert = pki.issue('firewall', name);
  return [readFileSync(pki.ca), readFileSync(cert.key), readFileSync(cert.cert)];
}
