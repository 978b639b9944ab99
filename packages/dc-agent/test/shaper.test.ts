import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@fsso/common';
import { Shaper } from '../src/shaping/shaper';
import type { AgentEvent } from '../src/events/model';

const T = 1_700_000_000_000;
const ev = (over: Partial<AgentEvent>): AgentEvent => ({
  kind: 'USER_ACTIVITY', user: 'alice', domain: 'CORP', ip: '10.1.1.5', workstation: '', mac: '', eventTimeMs: T,
  source: 'windows-security', sourceEventId: '4769', logonType: 0, reporter: 'dc1', ...over,
});

test('service accounts, ignored networks and service logon types are dropped and counted', () => {
  const s = new Shaper({ ignoreUsers: ['svc-*', 'krbtgt', '/^healthmailbox/'], ignoreNetworks: ['10.0.0.0/24'] });
  const out = s.shape([
    ev({ user: 'svc-backup' }), ev({ user: 'krbtgt' }), ev({ user: 'healthmailboxf49e2c8' }),
    ev({ ip: '10.0.0.10' }), ev({ kind: 'USER_LOGON', logonType: 5, ip: '10.1.1.6' }), ev({ user: 'bob', ip: '10.1.1.7' }),
  ]);
  assert.deepEqual(out.map((e) => e.user), ['bob']);
  assert.deepEqual(s.stats, { ignoredUser: 3, ignoredNetwork: 1, ignoredLogonType: 1, coalesced: 0 });
});

test('a burst of ticket requests is one event; a different user in between always passes', () => {
  const s = new Shaper({ coalesceWindow: '30s' });
  const out = s.shape([
    ev({ eventTimeMs: T }), ev({ eventTimeMs: T + 1000 }), ev({ eventTimeMs: T + 2000 }),
    ev({ user: 'bob', eventTimeMs: T + 3000 }),
    ev({ eventTimeMs: T + 4000 }), // alice again after bob: must reach the collector
    ev({ eventTimeMs: T + 40_000 }), // outside the window
  ]);
  assert.deepEqual(out.map((e) => [e.user, e.eventTimeMs - T]), [['alice', 0], ['bob', 3000], ['alice', 4000], ['alice', 40_000]]);
  assert.equal(s.stats.coalesced, 2);
});

test('bad filter settings name the field', () => {
  assert.throws(() => new Shaper({ ignoreNetworks: ['10.0.0.300/24'] }), (e: unknown) => e instanceof ConfigError && e.field === 'filters.ignoreNetworks[0]');
  assert.throws(() => new Shaper({ ignoreUsers: ['/(/'] }), (e: unknown) => e instanceof ConfigError && e.field === 'filters.ignoreUsers[0]');
});
