import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Identity__Output } from '@fsso/common';
import { RecordStore } from '../src/replica-records';
import { compilePolicy } from '../src/policy';

const identity = (ip: string, user: string, groups: string[]): Identity__Output => ({
  ip,
  user,
  domain: 'CORP',
  groups,
  workstation: 'WS1',
  firstSeenMs: 1_700_000_000_000,
  lastSeenMs: 1_700_000_000_500,
  source: 'windows-security',
  revision: 7,
  shared: false,
  groupsStale: false,
  inferred: false,
  contested: false,
  groupDns: groups.map((g) => `CN=${g.split('\\')[1] ?? g},DC=corp`),
});

test('a stored identity has every field of the message, as own enumerable properties', () => {
  const store = new RecordStore();
  const id = identity('10.0.0.1', 'alice', ['CORP\\VPN-Users', 'CORP\\Sales']);
  const stored = store.compact(id);
  assert.deepStrictEqual(stored, id);
  assert.deepStrictEqual(JSON.parse(JSON.stringify(stored)), id);
  assert.deepStrictEqual({ ...stored }, id);
  // The decision cached on it (in slots made with the object) stays out of sight too.
  const policy = compilePolicy({ rules: [{ action: 'allow', groups: ['CORP\\VPN-Users'] }] });
  assert.equal(policy.decide(stored).action, 'allow');
  assert.equal(policy.decide(stored), policy.decide(stored), 'the cached decision is served');
  assert.deepStrictEqual(stored, id);
  assert.deepStrictEqual(Object.keys(stored), Object.keys(id));
});

test('identities with the same groups share one frozen list', () => {
  const store = new RecordStore();
  const a = store.compact(identity('10.0.0.1', 'alice', ['CORP\\VPN-Users', 'CORP\\Sales']));
  const b = store.compact(identity('10.0.0.2', 'bob', ['CORP\\VPN-Users', 'CORP\\Sales']));
  const c = store.compact(identity('10.0.0.3', 'carol', ['CORP\\VPN-Users']));
  assert.equal(a.groups, b.groups);
  assert.equal(a.groupDns, b.groupDns);
  assert.notEqual(a.groups, c.groups);
  assert.ok(Object.isFrozen(a.groups));
  assert.throws(() => (a.groups as string[]).push('CORP\\Admins'), TypeError);
  // A list is told apart by all its names, in order.
  const d = store.compact(identity('10.0.0.4', 'dave', ['CORP\\Sales', 'CORP\\VPN-Users']));
  assert.deepEqual(d.groups, ['CORP\\Sales', 'CORP\\VPN-Users']);
  assert.equal(store.compact(identity('10.0.0.5', 'eve', [])).groups.length, 0);
});
