import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  StaleIdentityError,
  loadFsso,
  type Identity__Output,
  type SyncMessage,
  type SyncMessage__Output,
} from '@fsso/common';
import { putColumns, putIdentity } from '../src/replica-records';
import { Dictionary, ReplicaTable } from '../src/replica-table';
import { compilePolicy } from '../src/policy';
import { IdentityView } from '../src/identity-view';

const identity = (
  ip: string,
  user: string,
  groups: string[],
  more: Partial<Identity__Output> = {},
): Identity__Output => ({
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
  ...more,
});

test('a stored identity comes back with every field of the message, as own enumerable properties', () => {
  const table = new ReplicaTable(new Dictionary());
  const id = identity('10.0.0.1', 'alice', ['CORP\\VPN-Users', 'CORP\\Sales']);
  putIdentity(table, id);
  const stored = table.get('10.0.0.1');
  assert.deepStrictEqual(stored, id);
  assert.deepStrictEqual(JSON.parse(JSON.stringify(stored)), id);
  assert.deepStrictEqual({ ...stored }, id);
  const policy = compilePolicy({ rules: [{ action: 'allow', groups: ['CORP\\VPN-Users'] }] });
  const slot = table.slotOf('10.0.0.1') as number;
  assert.equal(policy.decideAt(table, '10.0.0.1', slot).action, 'allow');
  assert.equal(
    policy.decideAt(table, '10.0.0.1', slot),
    policy.decideAt(table, '10.0.0.1', slot),
    'the cached decision is served',
  );
  assert.equal(policy.decide(stored).action, 'allow');
  assert.deepStrictEqual(stored, id, 'a decision cached on the object stays out of sight');
  assert.deepStrictEqual(Object.keys(stored as object), Object.keys(id));
  // A change of the entry drops the decision cached for it.
  putIdentity(table, identity('10.0.0.1', 'alice', ['CORP\\Sales'], { revision: 8 }));
  assert.equal(policy.decideAt(table, '10.0.0.1', slot).action, 'deny');
  table.delete('10.0.0.1');
  assert.equal(table.get('10.0.0.1'), undefined);
  assert.equal(table.size, 0);
});

test('identities with the same groups share one frozen list', () => {
  const table = new ReplicaTable(new Dictionary());
  for (const [ip, user, groups] of [
    ['10.0.0.1', 'alice', ['CORP\\VPN-Users', 'CORP\\Sales']],
    ['10.0.0.2', 'bob', ['CORP\\VPN-Users', 'CORP\\Sales']],
    ['10.0.0.3', 'carol', ['CORP\\VPN-Users']],
    ['10.0.0.4', 'dave', ['CORP\\Sales', 'CORP\\VPN-Users']],
    ['10.0.0.5', 'eve', []],
  ] as const)
    putIdentity(table, identity(ip, user, [...groups]));
  const [a, b, c, d, e] = ['1', '2', '3', '4', '5'].map((i) => table.get(`10.0.0.${i}`) as Identity__Output);
  assert.ok(a && b && c && d && e);
  assert.equal(a.groups, b.groups);
  assert.equal(a.groupDns, b.groupDns);
  assert.notEqual(a.groups, c.groups);
  assert.ok(Object.isFrozen(a.groups));
  assert.throws(() => a.groups.push('CORP\\Admins'), TypeError);
  // A list is told apart by all its names, in order.
  assert.deepEqual(d.groups, ['CORP\\Sales', 'CORP\\VPN-Users']);
  assert.equal(e.groups.length, 0);
});

/** Through the real encoder and decoder, as a Sync stream carries it. */
function wire(m: SyncMessage): SyncMessage__Output {
  const sync = loadFsso().proto.fsso.v1.IdentityService.service.Sync;
  return sync.responseDeserialize(sync.responseSerialize(m)) as SyncMessage__Output;
}

test('a SnapshotColumns chunk gives the same identities as SnapshotChunk entries; misaligned columns store nothing', () => {
  const ids = [
    identity('10.0.0.1', 'alice', ['CORP\\VPN-Users', 'CORP\\Sales']),
    identity('2001:db8::7', 'bob', ['CORP\\VPN-Users', 'CORP\\Sales'], { groupsStale: true, revision: 2 ** 40 }),
    identity('10.0.0.3', '', [], { shared: true, workstation: '', groupDns: [] }),
    identity('10.0.0.4', '', ['CORP\\Sales'], { contested: true, domain: 'LAB', source: 'dhcp', groupDns: [] }),
  ];
  const strings = [
    'CORP',
    'windows-security',
    'CORP\\VPN-Users',
    'CORP\\Sales',
    'CN=VPN-Users,DC=corp',
    'CN=Sales,DC=corp',
    'LAB',
    'dhcp',
  ];
  const columns = {
    strings,
    ip: ids.map((i) => i.ip),
    user: ids.map((i) => i.user),
    workstation: ids.map((i) => i.workstation),
    domain: [0, 0, 0, 6],
    source: [1, 1, 1, 7],
    firstSeenMs: ids.map((i) => i.firstSeenMs),
    lastSeenMs: ids.map((i) => i.lastSeenMs),
    revision: ids.map((i) => i.revision),
    flags: [0, 2, 1, 8],
    groupSet: [0, 0, 1, 2],
    setGroupCount: [2, 0, 1],
    setDnCount: [2, 0, 0],
    setItems: [2, 3, 4, 5, 3],
  };
  const fromChunk = new ReplicaTable(new Dictionary());
  for (const e of wire({ snapshotChunk: { entries: ids } }).snapshotChunk?.entries ?? []) putIdentity(fromChunk, e);
  const fromColumns = new ReplicaTable(new Dictionary());
  const m = wire({ snapshotColumns: columns }).snapshotColumns;
  assert.ok(m);
  assert.equal(putColumns(fromColumns, m), true);
  for (const id of ids) {
    assert.deepStrictEqual(fromColumns.get(id.ip), id, id.ip);
    assert.deepStrictEqual(fromColumns.get(id.ip), fromChunk.get(id.ip), id.ip);
  }
  const bad = new ReplicaTable(new Dictionary());
  assert.equal(putColumns(bad, { ...m, user: m.user.slice(1) }), false, 'one user fewer than addresses');
  assert.equal(putColumns(bad, { ...m, groupSet: [0, 0, 1, 9] }), false, 'a group set that is not there');
  assert.equal(putColumns(bad, { ...m, domain: [0, 0, 0, 99] }), false, 'a string that is not there');
  assert.equal(bad.size, 0);
});

test('past its first size the table grows, and a freed slot taken by another address keeps nobody else', () => {
  const table = new ReplicaTable(new Dictionary(), 2);
  const ids = Array.from({ length: 300 }, (_, i) =>
    identity(`10.1.${i >> 8}.${i & 255}`, `user${i}`, i % 3 === 0 ? ['CORP\\Sales'] : [], {
      workstation: `WS${i}`,
      firstSeenMs: 1_700_000_000_000 + i,
      lastSeenMs: 1_700_000_100_000 + i,
      revision: 2 ** 40 + i,
      groupDns: [],
      shared: i % 7 === 0,
      domain: i % 2 === 0 ? 'CORP' : 'LAB',
    }),
  );
  for (const id of ids.slice(0, 100)) putIdentity(table, id);
  for (const id of ids.slice(0, 50)) table.delete(id.ip);
  for (const id of ids.slice(100)) putIdentity(table, id);
  assert.equal(table.size, 250);
  for (const id of ids.slice(0, 50)) assert.equal(table.get(id.ip), undefined, id.ip);
  for (const id of ids.slice(50)) assert.deepStrictEqual(table.get(id.ip), id, id.ip);
});

test('a view reads its entry while it is there; once it changed, went or the table was replaced, it throws', () => {
  const table = new ReplicaTable(new Dictionary());
  const alice = identity('10.0.0.1', 'alice', ['CORP\\VPN-Users'], { revision: 2 ** 40, inferred: true });
  putIdentity(table, alice);
  const view = table.view('10.0.0.1', table.slotOf('10.0.0.1') as number);
  assert.ok(view instanceof IdentityView);
  for (const k of Object.keys(alice) as (keyof Identity__Output)[]) assert.deepStrictEqual(view[k], alice[k], k);
  assert.deepStrictEqual(view.toObject(), alice);
  assert.deepStrictEqual(JSON.parse(JSON.stringify(view)), alice, 'JSON sees every field');
  assert.deepStrictEqual({ ...view }, { ip: '10.0.0.1' }, 'a spread sees only the address: use toObject()');
  const policy = compilePolicy({ rules: [{ action: 'allow', groups: ['CORP\\VPN-Users'], inferred: true }] });
  assert.equal(policy.decide(view).action, 'allow');
  const kept = view.toObject();

  // The same address for another user: the view must not answer with bob.
  putIdentity(table, identity('10.0.0.1', 'bob', [], { revision: 2 ** 40 + 1 }));
  assert.equal(view.current, false);
  assert.equal(view.ip, '10.0.0.1', 'the address asked about stays readable');
  for (const read of [
    () => view.user,
    () => view.groups,
    () => view.shared,
    () => view.revision,
    () => view.toObject(),
  ])
    assert.throws(read, (e: unknown) => e instanceof StaleIdentityError && e.code === 'FSSO_STALE_IDENTITY');
  assert.throws(() => policy.decide(view), StaleIdentityError);
  assert.throws(() => JSON.stringify(view), /call toObject\(\) on it to keep a copy across an await/);
  assert.equal(kept.user, 'alice', 'the copy taken before the change keeps its values');

  // Deleted, its slot taken by another address with the same revision: still stale.
  const bobSlot = table.slotOf('10.0.0.1') as number;
  const bobView = table.view('10.0.0.1', bobSlot);
  table.delete('10.0.0.1');
  putIdentity(table, identity('10.0.0.2', 'carol', [], { revision: 2 ** 40 + 1 }));
  assert.equal(table.slotOf('10.0.0.2'), bobSlot, 'carol took the freed slot');
  assert.throws(() => bobView.user, StaleIdentityError);

  // A table replaced by a snapshot: its views go stale, and stop holding its columns.
  const carol = table.view('10.0.0.2', table.slotOf('10.0.0.2') as number);
  assert.equal(carol.user, 'carol');
  table.retire();
  assert.throws(() => carol.user, StaleIdentityError);
});
