import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, sameDomain } from '../src/identity/rules';
import type { Entry, Evidence } from '../src/identity/entry';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const ctx = { nowMs: NOW, deadEntryTimeoutMs: 8 * 3600_000 };
const ev = (over: Partial<Evidence>): Evidence => ({ kind: 'USER_LOGON', user: 'alice', domain: 'CORP', ip: '10.0.0.5', workstation: 'WS1', eventTimeMs: NOW - 1000, source: 'windows-security', ...over });
const entry = (over: Partial<Entry>): Entry => ({ ip: '10.0.0.5', user: 'alice', domain: 'CORP', workstation: 'WS1', groups: [], firstSeenMs: NOW - 60_000, lastSeenMs: NOW - 5000, source: 'windows-security', revision: 1, ...over });

test('a logon at a free address makes that user its user', () => {
  const d = decide(ev({}), undefined, ctx);
  assert.equal(d.action, 'upsert');
  assert.equal(d.action === 'upsert' && d.entry.user, 'alice');
  assert.equal(d.action === 'upsert' && d.reason, 'logon');
});

test('another user at the address replaces the old one at once', () => {
  const d = decide(ev({ user: 'bob', eventTimeMs: NOW - 100 }), entry({}), ctx);
  assert.equal(d.action, 'upsert');
  assert.equal(d.action === 'upsert' && d.entry.user, 'bob');
  assert.equal(d.action === 'upsert' && d.reason, 'replaced');
});

test('a late, older event of another user never overrides a newer entry', () => {
  const d = decide(ev({ user: 'bob', eventTimeMs: NOW - 60_000 }), entry({ lastSeenMs: NOW - 5000 }), ctx);
  assert.equal(d.action, 'ignore');
});

test('activity of the same user only refreshes last-seen (no table revision)', () => {
  const d = decide(ev({ kind: 'USER_ACTIVITY', eventTimeMs: NOW - 10 }), entry({}), ctx);
  assert.deepEqual(d, { action: 'refresh', lastSeenMs: NOW - 10, workstation: 'WS1', source: 'windows-security' });
});

test('NetBIOS and DNS forms of one domain are the same user, not a replacement', () => {
  assert.equal(sameDomain('CORP', 'CORP.EXAMPLE.TEST'), true);
  assert.equal(sameDomain('CORP', 'SALES'), false);
  const d = decide(ev({ domain: 'CORP.EXAMPLE.TEST', eventTimeMs: NOW - 10 }), entry({}), ctx);
  assert.equal(d.action, 'refresh');
});

test('evidence older than the dead-entry timeout creates nothing', () => {
  assert.equal(decide(ev({ eventTimeMs: NOW - 9 * 3600_000 }), undefined, ctx).action, 'ignore');
});

test('a clock-skewed future event is clamped to now', () => {
  const d = decide(ev({ eventTimeMs: NOW + 3600_000 }), undefined, ctx);
  assert.equal(d.action === 'upsert' && d.entry.lastSeenMs, NOW);
});

test('logoff removes only the same user; a DHCP release removes whoever is there', () => {
  assert.deepEqual(decide(ev({ kind: 'USER_LOGOFF', eventTimeMs: NOW }), entry({}), ctx), { action: 'delete', reason: 'logoff' });
  assert.equal(decide(ev({ kind: 'USER_LOGOFF', user: 'bob', eventTimeMs: NOW }), entry({}), ctx).action, 'ignore');
  assert.deepEqual(decide(ev({ kind: 'HOST_RELEASED', user: 'ws1', eventTimeMs: NOW }), entry({}), ctx), { action: 'delete', reason: 'released' });
});

test('events without an address change nothing', () => {
  assert.equal(decide(ev({ ip: '' }), undefined, ctx).action, 'ignore');
});
