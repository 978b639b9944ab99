import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { parseNetwork, type Clock, type Logger, type Network } from '@fsso/common';
import { openDatabase } from '../src/store/database';
import { WorkstationStore } from '../src/store/workstations';
import { GroupService } from '../src/directory/group-service';
import type { DirectoryConfig } from '../src/directory/config';
import { OnDemandResolver } from '../src/identity/on-demand';
import { DEFAULT_IDENTITY } from '../src/identity/settings';

const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
} as unknown as Logger;

/** A loopback port that refuses connections: bound, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
}

test('LDAP look-ups: a bounded queue, a concurrency cap, and a negative cache for a directory that is down', async () => {
  const port = await closedPort();
  const dir = {
    domain: 'CORP',
    dnsDomain: 'CORP.EXAMPLE.TEST',
    urls: [`ldap://127.0.0.1:${port}`],
    baseDn: 'DC=corp,DC=example,DC=test',
    bindDn: 'CN=svc',
    password: 'x',
    passwordFile: undefined,
    startTls: false,
    ca: undefined,
    tlsServerName: undefined,
    timeoutMs: 1000,
  } as DirectoryConfig;
  let now = Date.UTC(2026, 11, 1);
  const clock: Clock = { now: () => now } as Clock;
  const limitHits: Record<string, number> = {};
  const g = new GroupService(
    openDatabase(':memory:', 'normal'),
    [dir],
    { ttlMs: 15 * 60_000, refreshAgeMs: 60_000, filter: [] },
    clock,
    quiet,
    () => undefined,
    { concurrency: 2, queue: 10, negativeTtlMs: 30_000, limitHits },
  );
  let most = 0;
  for (let i = 0; i < 50; i++) {
    g.groupsFor(`user${i}`, 'CORP');
    most = Math.max(most, g.pending.running);
  }
  assert.deepEqual(g.pending, { running: 2, queued: 10 }, 'two run, ten wait');
  assert.equal(most, 2);
  assert.equal(limitHits['ldapQueue'], 38, 'the other 38 were dropped and counted');
  await until(() => g.pending.running === 0 && g.pending.queued === 0, 'the queue drains');
  assert.equal(g.counters.lookups, 12);
  assert.equal(g.counters.failures, 12);
  // Negative cache: a failed account is not asked again at every event...
  for (let i = 0; i < 12; i++) g.groupsFor(`user${i}`, 'CORP');
  assert.deepEqual(g.pending, { running: 0, queued: 0 });
  // ...but after negativeCacheTtl it is.
  now += 30_001;
  g.groupsFor('user0', 'CORP');
  assert.equal(g.pending.running + g.pending.queued, 1);
  await until(() => g.pending.running === 0, 'the retry ends');
  g.stop();
});

test('on-demand resolution: a concurrency cap, one resolution per address, and misses remembered', async () => {
  // A DNS server that never answers: every reverse lookup runs into the timeout.
  const silent = createSocket('udp4');
  let queries = 0;
  silent.on('message', () => queries++);
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
  const limitHits: Record<string, number> = {};
  const net = parseNetwork('198.18.0.0/15') as Network;
  const r = new OnDemandResolver(
    { networks: [net], timeoutMs: 150, dnsServers: [`127.0.0.1:${silent.address().port}`] },
    new WorkstationStore(openDatabase(':memory:', 'normal')),
    { ...DEFAULT_IDENTITY, deadEntryTimeoutMs: 8 * 3600_000 },
    { groupsFor: () => ({ groups: [], stale: false }) },
    { now: () => Date.now() } as Clock,
    quiet,
    { concurrency: 2, negativeTtlMs: 60_000, limitHits },
  );
  const answers = await Promise.all(
    ['198.18.0.1', '198.18.0.1', '198.18.0.2', '198.18.0.3', '198.18.0.4'].map((ip) => r.resolve(ip)),
  );
  const whys = answers.map((a) => ('why' in a ? a.why : 'found'));
  assert.match(whys[0] ?? '', /no answer within 150 ms/);
  assert.equal(whys[1], whys[0], 'the same address shares one resolution');
  assert.match(whys[2] ?? '', /no answer within 150 ms/);
  assert.match(whys[3] ?? '', /limits\.onDemandConcurrency/);
  assert.match(whys[4] ?? '', /limits\.onDemandConcurrency/);
  assert.equal(limitHits['onDemandConcurrency'], 2);
  const before = queries;
  const again = await r.resolve('198.18.0.1');
  assert.match('why' in again ? again.why : '', /no answer within 150 ms \(a recent answer; asked again after /);
  assert.equal(r.counters.remembered, 1);
  assert.equal(queries, before, 'a remembered miss sends no DNS query');
  await new Promise<void>((done) => silent.close(() => done()));
});
