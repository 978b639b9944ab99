/**
 * The firewall replica's silence watchdog against a real collector process: a collector that is
 * frozen (SIGSTOP) keeps its socket open, so only the missing heartbeats tell the replica that
 * its table has stopped changing. The collector's heartbeat is shortened for the test
 * (FSSO_TEST_SYNC_HEARTBEAT_MS) and the replica's silence timeout with it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdentityReplica, type ReconnectInfo, type ReplicaState } from '@fsso/firewall-client';
import { AgentStream } from '../support/agent-stream';
import { until } from '../support/grpc';
import { testPki } from '../support/pki';
import { startCollector, tempDir } from '../support/processes';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('replica watchdog: a frozen collector is noticed by missed heartbeats; after SIGCONT the replica reconnects and resumes', async (t) => {
  const dir = tempDir('replica-watchdog');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path, { env: { FSSO_TEST_SYNC_HEARTBEAT_MS: '200' } });
  let frozen = false;
  // A stopped process cannot act on SIGTERM: wake it first.
  t.after(async () => {
    if (frozen) process.kill(collector.daemon.pid, 'SIGCONT');
    await collector.daemon.stop();
  });
  await collector.daemon.waitFor(
    (l) => l.message === 'sync heartbeat every 200 ms (FSSO_TEST_SYNC_HEARTBEAT_MS, a test setting)',
  );

  const pki = testPki();
  const agent = new AgentStream(collector.address, pki.ca, pki.agent);
  t.after(() => agent.close());
  assert.equal((await agent.hello('dc1', ['CORP'])).ok, true);
  assert.equal((await agent.send([{ user: 'alice', domain: 'CORP', ip: '198.18.7.1' }])).ok, true);

  const replica = new IdentityReplica({
    address: collector.address,
    credentials: collector.credentials('firewall'),
    clientName: 'watchdog test',
    silenceTimeoutMs: 1000,
  });
  t.after(() => replica.stop());
  const disconnects: string[] = [];
  const states: ReplicaState[] = [];
  const reconnects: ReconnectInfo[] = [];
  let snapshots = 0;
  replica.on('disconnected', (why: string) => disconnects.push(why));
  replica.on('state', (s: ReplicaState) => states.push(s));
  replica.on('reconnected', (r: ReconnectInfo) => reconnects.push(r));
  replica.on('snapshot', () => snapshots++);
  replica.start();
  await replica.whenReady();
  assert.equal(replica.lookup('198.18.7.1')?.user, 'alice');

  // Heartbeats every 200 ms keep a 1 s watchdog quiet while the table does not change.
  await sleep(2000);
  assert.deepEqual(disconnects, [], 'a quiet but beating collector is not lost');
  assert.equal(replica.state, 'LIVE');
  const revision = replica.revision;

  process.kill(collector.daemon.pid, 'SIGSTOP');
  frozen = true;
  await until('the replica to notice the frozen collector', () => disconnects.length > 0, 10_000, 20);
  assert.match(disconnects[0] ?? '', /^no message from the collector in \d+ ms \(heartbeats missed: is it frozen\?\)$/);
  assert.notEqual(replica.state, 'LIVE', 'not live on a table that no longer changes');
  assert.equal(replica.lookup('198.18.7.1')?.user, 'alice', 'lookups are still answered from the table it holds');

  // Frozen a while longer: the retries meet the same silence, each told once.
  await sleep(1500);
  process.kill(collector.daemon.pid, 'SIGCONT');
  frozen = false;
  await until('the replica to be live again', () => reconnects.length > 0, 15_000, 20);
  assert.equal(replica.state, 'LIVE');
  assert.equal(reconnects[0]?.revision, revision, 'resumed from the revision it held');
  assert.equal(snapshots, 1, 'resumed, not reloaded: only the first snapshot');
  await collector.daemon.waitFor(
    (l) => l.message === 'sync resumed' && l['client'] === 'watchdog test' && l['from'] === revision,
  );

  // And changes flow again.
  assert.equal((await agent.send([{ user: 'bob', domain: 'CORP', ip: '198.18.7.2' }])).ok, true);
  await until('the new change to reach the replica', () => replica.lookup('198.18.7.2')?.user === 'bob', 5000, 20);
  assert.ok(states.includes('BACKOFF'), `states: ${states.join(' → ')}`);
  t.diagnostic(`states: ${states.join(' → ')}; disconnects: ${disconnects.length}; down ${reconnects[0]?.downMs} ms`);
});
