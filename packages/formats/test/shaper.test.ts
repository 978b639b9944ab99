import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@fsso/common';
import { Shaper } from '../src/shaping/shaper';
import { FoldMemory } from '../src/shaping/fold';
import type { AgentEvent } from '../src/model';

const T = 1_700_000_000_000;
const ev = (over: Partial<AgentEvent>): AgentEvent => ({
  kind: 'USER_ACTIVITY',
  user: 'alice',
  domain: 'CORP',
  ip: '10.1.1.5',
  workstation: '',
  mac: '',
  eventTimeMs: T,
  source: 'windows-security',
  sourceEventId: '4769',
  logonType: 0,
  reporter: 'dc1',
  ...over,
});

test('service accounts, ignored networks and service logon types are dropped and counted', () => {
  const s = new Shaper({ ignoreUsers: ['svc-*', 'krbtgt', '/^healthmailbox/'], ignoreNetworks: ['10.0.0.0/24'] });
  const out = s.shape([
    ev({ user: 'svc-backup' }),
    ev({ user: 'krbtgt' }),
    ev({ user: 'healthmailboxf49e2c8' }),
    ev({ ip: '10.0.0.10' }),
    ev({ kind: 'USER_LOGON', logonType: 5, ip: '10.1.1.6' }),
    ev({ user: 'bob', ip: '10.1.1.7' }),
  ]);
  assert.deepEqual(
    out.map((e) => e.user),
    ['bob'],
  );
  assert.deepEqual(s.stats, { ignoredUser: 3, ignoredNetwork: 1, ignoredLogonType: 1, coalesced: 0 });
});

test('a burst of ticket requests is one event; a different user in between always passes', () => {
  const s = new Shaper({ coalesceWindow: '30s' });
  const out = s.shape([
    ev({ eventTimeMs: T }),
    ev({ eventTimeMs: T + 1000 }),
    ev({ eventTimeMs: T + 2000 }),
    ev({ user: 'bob', eventTimeMs: T + 3000 }),
    ev({ eventTimeMs: T + 4000 }), // alice again after bob: must reach the collector
    ev({ eventTimeMs: T + 40_000 }), // outside the window
  ]);
  assert.deepEqual(
    out.map((e) => [e.user, e.eventTimeMs - T]),
    [
      ['alice', 0],
      ['bob', 3000],
      ['alice', 4000],
      ['alice', 40_000],
    ],
  );
  assert.equal(s.stats.coalesced, 2);
});

test('bad filter settings name the field', () => {
  assert.throws(
    () => new Shaper({ ignoreNetworks: ['10.0.0.300/24'] }),
    (e: unknown) => e instanceof ConfigError && e.field === 'filters.ignoreNetworks[0]',
  );
  assert.throws(
    () => new Shaper({ ignoreUsers: ['/(/'] }),
    (e: unknown) => e instanceof ConfigError && e.field === 'filters.ignoreUsers[0]',
  );
});

test('a repeat after its machine roamed is not folded (bob at .15, WKS-BOB at .16, bob at .15 again)', () => {
  const s = new Shaper();
  const bob = { user: 'bob', ip: '10.1.1.15', workstation: 'WKS-BOB', source: 'samba-audit', sourceEventId: '4776' };
  const out = s.shape([
    ev({ ...bob, eventTimeMs: T }),
    ev({ kind: 'HOST_SEEN', user: 'wks-bob', ip: '10.1.1.16', workstation: 'WKS-BOB', eventTimeMs: T + 5000 }),
    ev({ ...bob, eventTimeMs: T + 10_000 }),
    ev({ ...bob, eventTimeMs: T + 12_000 }), // nothing changed since the one before: a true repeat
  ]);
  assert.deepEqual(
    out.map((e) => [e.kind, e.ip, e.eventTimeMs - T]),
    [
      ['USER_ACTIVITY', '10.1.1.15', 0],
      ['HOST_SEEN', '10.1.1.16', 5000],
      ['USER_ACTIVITY', '10.1.1.15', 10_000],
    ],
  );
  assert.equal(s.stats.coalesced, 1);
});

test('a repeat without a workstation is not folded after the machine last seen at its address moved', () => {
  // The collector remembers WKS-BOB at .15 from the logon, and releases .15 when WKS-BOB shows up at .16.
  const s = new Shaper();
  const kerberos = { user: 'bob', ip: '10.1.1.15', sourceEventId: '4769' };
  const out = s.shape([
    ev({ kind: 'USER_LOGON', user: 'bob', ip: '10.1.1.15', workstation: 'WKS-BOB', logonType: 3, eventTimeMs: T }),
    ev({ ...kerberos, eventTimeMs: T + 1000 }),
    ev({ kind: 'HOST_SEEN', user: 'wks-bob', ip: '10.1.1.16', workstation: 'WKS-BOB', eventTimeMs: T + 2000 }),
    ev({ ...kerberos, eventTimeMs: T + 3000 }),
  ]);
  assert.equal(out.length, 4);
  assert.equal(s.stats.coalesced, 0);
});

test('anything touching the user, the machine or the address in between stops the fold', () => {
  const base = { user: 'bob', ip: '10.1.1.15', workstation: 'WKS-BOB' };
  const between: [string, Partial<AgentEvent>][] = [
    ['the same user elsewhere', { user: 'bob', ip: '10.1.1.99', workstation: '' }],
    ['the same user logging off', { kind: 'USER_LOGOFF', user: 'bob', ip: '', workstation: '' }],
    ['another user on the machine', { user: 'carol', ip: '10.1.1.50', workstation: 'WKS-BOB' }],
    ['another user at the address', { user: 'carol', ip: '10.1.1.15', workstation: '' }],
    [
      'a DHCP lease of the address to another machine',
      { kind: 'HOST_ADDRESS', user: 'ws-eve', ip: '10.1.1.15', workstation: 'WS-EVE', mac: 'aa:bb:cc:00:00:05' },
    ],
    [
      'a DHCP release of the address',
      { kind: 'HOST_RELEASED', user: 'wks-bob', ip: '10.1.1.15', workstation: 'WKS-BOB' },
    ],
    [
      'an NTLM check naming the machine and no address',
      { user: 'carol', ip: '', workstation: 'WKS-BOB', sourceEventId: '4776' },
    ],
  ];
  for (const [what, mid] of between) {
    const s = new Shaper();
    const out = s.shape([
      ev({ ...base, eventTimeMs: T }),
      ev({ ...mid, eventTimeMs: T + 1000 }),
      ev({ ...base, eventTimeMs: T + 2000 }),
    ]);
    assert.equal(out.length, 3, `${what}: the repeat must pass`);
  }
  // Unrelated traffic in between does not stop folding: it still saves work.
  const s = new Shaper();
  const out = s.shape([
    ev({ ...base, eventTimeMs: T }),
    ev({ user: 'dave', ip: '10.1.1.77', workstation: 'WKS-DAVE', eventTimeMs: T + 1000 }),
    ev({ ...base, eventTimeMs: T + 2000 }),
  ]);
  assert.deepEqual([out.length, s.stats.coalesced], [2, 1]);
});

test('a repeat with another workstation or MAC is new evidence, not a repeat', () => {
  const s = new Shaper();
  const out = s.shape([
    ev({ eventTimeMs: T }),
    ev({ workstation: 'WS-ALICE', eventTimeMs: T + 1000 }),
    ev({
      kind: 'HOST_ADDRESS',
      user: 'ws-a',
      workstation: 'WS-A',
      mac: 'aa:bb:cc:00:00:01',
      ip: '10.1.1.9',
      eventTimeMs: T,
    }),
    ev({
      kind: 'HOST_ADDRESS',
      user: 'ws-a',
      workstation: 'WS-A',
      mac: 'aa:bb:cc:00:00:02',
      ip: '10.1.1.9',
      eventTimeMs: T + 1000,
    }),
  ]);
  assert.equal(out.length, 4);
});

test('coalesceWindow "0s" folds nothing', () => {
  const s = new Shaper({ coalesceWindow: '0s' });
  assert.equal(s.shape([ev({}), ev({}), ev({})]).length, 3);
});

test('the fold memory stays bounded, and what it forgot is never folded', () => {
  const m = new FoldMemory(30_000, 100);
  const at = (i: number): AgentEvent =>
    ev({ user: `u${i}`, ip: `10.2.${i >> 8}.${i & 255}`, workstation: `WS-${i}`, eventTimeMs: T + i });
  for (let i = 0; i < 1000; i++) m.pass(at(i));
  assert.deepEqual(m.size, { addresses: 100, users: 100, machines: 100 });
  assert.equal(m.folds(ev({ ...at(0), eventTimeMs: T + 1000 })), false, 'forgotten: passes');
  assert.equal(m.folds(ev({ ...at(999), eventTimeMs: T + 1000 })), true, 'remembered: still folds');
  // WS-0's address was forgotten: when it shows up again, nothing remembered from before may fold.
  m.pass(ev({ kind: 'HOST_SEEN', user: 'ws-0', workstation: 'WS-0', ip: '10.9.9.9', eventTimeMs: T + 1001 }));
  assert.equal(m.folds(ev({ ...at(999), eventTimeMs: T + 1002 })), false, 'after a forgotten machine reappears');
  m.pass(at(999));
  assert.equal(m.folds(ev({ ...at(999), eventTimeMs: T + 1003 })), true, 'and folding resumes');
});
