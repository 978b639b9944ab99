/**
 * What `lookup()` gives on a real replica fed by a real collector: a view on the replica's entry,
 * read in the same turn of the event loop as the lookup. Kept across an await while an agent
 * changes that address, it must never answer with the new holder ("never the wrong user"): it
 * throws StaleIdentityError, and the copy taken with toObject() keeps the old values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StaleIdentityError, type Identity__Output } from '@fsso/common';
import { IdentityReplica, compilePolicy } from '@fsso/firewall-client';
import { startFedCollector } from '../support/agent-stream';
import { until } from '../support/grpc';
import { tempDir } from '../support/processes';

const A = '198.18.30.1';
const B = '198.18.30.2';
const C = '198.18.30.3';

const stale = (e: unknown): boolean => e instanceof StaleIdentityError && e.ip === A && /toObject\(\)/.test(e.message);

test('a looked-up identity kept across an await throws once an agent changed its address; its toObject() copy and other views stay', async (t) => {
  const dir = tempDir('replica-view');
  t.after(dir.cleanup);
  const { collector, agent } = await startFedCollector(t, dir.path);
  await agent.sendAcked([
    { user: 'alice', domain: 'CORP', ip: A },
    { user: 'carol', domain: 'CORP', ip: C },
  ]);
  const replica = new IdentityReplica({ address: collector.address, credentials: collector.credentials('firewall') });
  t.after(() => replica.stop());
  replica.start();
  await replica.whenReady();
  const policy = compilePolicy({ rules: [{ action: 'allow', users: ['CORP\\alice'] }] });

  const alice = replica.lookup(A) ?? assert.fail('alice is at A');
  const carol = replica.lookup(C) ?? assert.fail('carol is at C');
  assert.equal(alice.user, 'alice');
  assert.equal(policy.decide(alice).action, 'allow');
  const copy: Identity__Output = alice.toObject();
  assert.deepEqual(JSON.parse(JSON.stringify(alice)), copy, 'JSON gives the plain identity');

  // alice logs off and bob logs on at her address: the replica reuses her slot for bob.
  await agent.sendAcked([{ kind: 'USER_LOGOFF', user: 'alice', domain: 'CORP', ip: A }]);
  await until('the logoff to reach the replica', () => replica.lookup(A) === undefined, 10_000, 20);
  await agent.sendAcked([{ user: 'bob', domain: 'CORP', ip: A }]);
  await until('bob to reach the replica', () => replica.lookup(A)?.user === 'bob', 10_000, 20);

  assert.equal(alice.current, false);
  assert.throws(() => alice.user, stale, 'the old view never names bob');
  assert.throws(() => alice.groups, stale);
  assert.throws(() => policy.decide(alice), stale, 'nor does a decision on it allow bob as alice');
  assert.throws(() => JSON.stringify(alice), stale);
  assert.equal(copy.user, 'alice', 'the copy keeps what was looked up');
  assert.equal(policy.decide(replica.lookup(A)).action, 'deny', 'bob is not allowed');

  // An entry nobody changed stays readable through the same turns of the event loop.
  assert.equal(carol.current, true);
  assert.equal(carol.user, 'carol');

  // Another address taking a freed slot: the view of the address that left is stale too.
  const bob = replica.lookup(A) ?? assert.fail('bob is at A');
  await agent.sendAcked([{ kind: 'USER_LOGOFF', user: 'bob', domain: 'CORP', ip: A }]);
  await agent.sendAcked([{ user: 'dave', domain: 'CORP', ip: B }]);
  await until('dave to reach the replica', () => replica.lookup(B)?.user === 'dave', 10_000, 20);
  assert.equal(replica.lookup(A), undefined);
  assert.throws(() => bob.user, stale, 'the view of A never names dave at B');
});
