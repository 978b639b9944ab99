import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createLogger, type Event } from '@fsso/common';
import { describeFailure, opensslReason } from '../src/delivery/failure-reason';
import { BatchSizer } from '../src/delivery/batch-sizer';
import { LinkReport, readLinkStatus } from '../src/delivery/link-report';
import { Spool } from '../src/spool/spool';

const ctx = { name: 'main', address: '127.0.0.1:7450', caFile: '/etc/fsso/ca.pem' };

test('failures read as a sentence with the fix, without the time stamp or the OpenSSL dump', () => {
  const refused = describeFailure(
    grpc.status.UNAVAILABLE,
    'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:7450 (2026-12-01T08:32:08.504Z)',
    ctx,
  );
  assert.equal(
    refused,
    'connection refused at 127.0.0.1:7450: is the collector running, and is collectors[].address right?',
  );
  assert.equal(
    describeFailure(
      grpc.status.UNAVAILABLE,
      'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7450 (2026-12-01T08:32:10.000Z)',
      ctx,
    ),
    refused,
    'same reason each retry',
  );
  assert.match(
    describeFailure(
      grpc.status.UNAVAILABLE,
      'No connection established. Last error: Error: self-signed certificate in certificate chain (2026-12-01T08:32:08.504Z)',
      ctx,
    ),
    /^the collector's certificate is signed by another CA than \/etc\/fsso\/ca\.pem \(self-signed certificate in certificate chain\); set tls\.ca/,
  );
  assert.match(
    describeFailure(
      grpc.status.PERMISSION_DENIED,
      'certificate fw1 (sha256 48ad…) has role firewall; fsso.v1.AgentService needs agent',
      ctx,
    ),
    /^collector refused our certificate: it has role firewall, an agent needs role agent/,
  );
  assert.match(
    describeFailure(grpc.status.PERMISSION_DENIED, 'certificate dc1 may report for CORP, not SALES', ctx),
    /^collector refused our domains: certificate dc1 may report for CORP, not SALES; set domains/,
  );
  const dump =
    '802C4A74957F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n';
  assert.equal(opensslReason(dump), 'wrong version number');
  assert.equal(
    describeFailure(
      grpc.status.UNAVAILABLE,
      `No connection established. Last error: ${dump} (2026-12-01T08:32:08.504Z)`,
      ctx,
    ),
    'the server at 127.0.0.1:7450 does not speak TLS (wrong version number): it is a plaintext collector or not a collector; fix collectors[].address, or give the collector tls settings',
  );
  assert.match(
    describeFailure(grpc.status.UNAVAILABLE, 'Failed to connect (2026-12-01T08:32:08.504Z)', {
      ...ctx,
      caFile: undefined,
    }),
    /we speak plaintext \(insecure: true\)/,
  );
  assert.match(
    describeFailure(grpc.status.UNAVAILABLE, 'Failed to connect (2026-12-01T08:32:08.504Z)', ctx),
    /closed the connection during the TLS handshake: most likely it refused our certificate/,
  );
  assert.equal(
    describeFailure(grpc.status.UNAVAILABLE, 'something new', ctx),
    'something new',
    'unknown reasons pass through',
  );
});

const ev = (i: number, user = `u${i}`): Event => ({
  seq: i,
  kind: 'USER_LOGON',
  user,
  domain: 'CORP',
  ip: '198.18.0.1',
  eventTimeMs: 1_700_000_000_000,
  source: 'test',
  logonType: 3,
});

test("batches follow the collector's limits: events, bytes, rate", () => {
  const s = new BatchSizer(500);
  assert.equal(s.maxEvents, 500, 'no limits told (an older collector): our batchSize');
  s.use({ maxBatchEvents: 10, maxMessageBytes: 0, maxEventsPerSecond: 0 });
  assert.equal(s.maxEvents, 10);
  assert.equal(s.waitMs(10_000), 0, 'no rate told: never waits');
  s.use({ maxBatchEvents: 10_000, maxMessageBytes: 1024, maxEventsPerSecond: 0 });
  const batch = Array.from({ length: 100 }, (_, i) => ev(i + 1));
  const fit = s.fit(batch);
  const wire = fit.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0);
  assert.ok(fit.length > 1 && fit.length < 100 && wire < 1024, `${fit.length} events, ${wire} bytes`);
  assert.equal(s.fit([ev(1, 'x'.repeat(2000))]).length, 1, 'at least one event, even an oversized one');
  s.use({ maxBatchEvents: 10_000, maxMessageBytes: 0, maxEventsPerSecond: 100 });
  assert.equal(s.maxEvents, 90, 'no batch larger than the burst under the rate');
  assert.equal(s.waitMs(90), 0, 'the first second is free');
  const wait = s.waitMs(45);
  assert.ok(wait > 0 && wait <= 600, `then it waits for room (${wait} ms)`);
});

test('the link report persists state changes, not retries, and sums rejections into rate-limited lines', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsso-link-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const spool = new Spool(join(dir, 'spool.db'));
  t.after(() => spool.close());
  const warned: { msg: string; fields: Record<string, unknown> }[] = [];
  const log = createLogger('test', { format: 'json', level: 'error' });
  const spy = Object.assign(Object.create(log) as typeof log, {
    warn: (msg: string, fields?: Record<string, unknown>) => void warned.push({ msg, fields: fields ?? {} }),
  });
  const r = new LinkReport('main', spool, spy);
  r.failed('connection refused at X');
  const first = readLinkStatus(spool, 'main');
  assert.equal(first?.state, 'BACKOFF');
  assert.equal(first?.lastError, 'connection refused at X');
  r.failed('connection refused at X');
  assert.deepEqual(readLinkStatus(spool, 'main'), first, 'a retry with the same reason changes nothing');
  r.streaming({ maxBatchEvents: 10, maxMessageBytes: 1024, maxEventsPerSecond: 100 });
  assert.equal(readLinkStatus(spool, 'main')?.state, 'STREAMING');
  for (let i = 0; i < 5; i++) r.rejectedEvents(10, [{ seq: i * 10 + 1, reason: 'domain SALES is outside' }]);
  assert.equal(warned.length, 1, 'the same reason again within a minute is held back');
  r.rejectedEvents(2, [{ seq: 99, reason: 'ip "x" is not a client address' }]);
  assert.equal(warned.length, 2, 'a new reason is told at once');
  r.stopped();
  assert.equal(
    warned.reduce((n, w) => n + Number(w.fields['rejected']), 0),
    52,
    'the lines add up to every rejected event',
  );
  assert.equal(readLinkStatus(spool, 'main')?.rejected, 52);
  assert.equal(r.rejectedThisRun, 52);
});
