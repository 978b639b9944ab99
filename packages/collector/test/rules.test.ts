import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../src/store/database';
import { IdentityTable } from '../src/store/identity-table';
import { WorkstationStore } from '../src/store/workstations';
import { IdentityEngine } from '../src/identity/engine';
import { DomainNames } from '@fsso/common';
import { DEFAULT_IDENTITY } from '../src/identity/settings';
import { evidenceOf, type Evidence } from '../src/identity/entry';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const HOUR = 3600_000;

/** The real engine on a real (in-memory) SQLite table. */
function engine() {
  const db = openDatabase(':memory:', 'normal');
  const table = new IdentityTable(db);
  const e = new IdentityEngine(table, new WorkstationStore(db), {
    ...DEFAULT_IDENTITY,
    deadEntryTimeoutMs: 8 * HOUR,
    domains: new DomainNames([{ netbios: 'CORP', dns: 'CORP.EXAMPLE.TEST' }]),
  });
  return { table, apply: (over: Partial<Evidence>, now = NOW) => e.apply(ev(over), now) };
}
const ev = (over: Partial<Evidence>): Evidence => ({
  kind: 'USER_LOGON',
  user: 'alice',
  domain: 'CORP',
  ip: '10.0.0.5',
  workstation: '',
  mac: '',
  eventTimeMs: NOW - 1000,
  source: 'windows-security',
  sourceEventId: '4624',
  reporter: 'dc1',
  ...over,
});

test('NetBIOS and DNS forms the configuration pairs are one domain: the same user, no new revision', () => {
  const s = engine();
  assert.equal(s.apply({}).length, 1);
  assert.deepEqual(s.apply({ domain: 'CORP.EXAMPLE.TEST', eventTimeMs: NOW - 10 }), []);
  assert.equal(s.table.get('10.0.0.5')?.lastSeenMs, NOW - 10, 'last seen still moves forward');
});

test('evidence older than the dead-entry timeout creates nothing; a future-dated event is clamped to now', () => {
  const s = engine();
  assert.deepEqual(s.apply({ eventTimeMs: NOW - 9 * HOUR }), []);
  s.apply({ ip: '10.0.0.6', eventTimeMs: NOW + HOUR });
  assert.equal(s.table.get('10.0.0.6')?.lastSeenMs, NOW);
});

test('a logoff removes only the same user, and only if it is not older than their evidence', () => {
  const s = engine();
  s.apply({});
  assert.deepEqual(s.apply({ kind: 'USER_LOGOFF', user: 'bob', eventTimeMs: NOW }), []);
  assert.deepEqual(
    s.apply({ kind: 'USER_LOGOFF', eventTimeMs: NOW - 5000 }),
    [],
    'an older logoff of an earlier session',
  );
  assert.deepEqual(
    s.apply({ kind: 'USER_LOGOFF', eventTimeMs: NOW }).map((c) => [c.op, c.reason]),
    [['DELETE', 'logoff']],
  );
});

test('an evidence chain is kept per entry, and history records who held the address', () => {
  const s = engine();
  s.apply({ workstation: 'WS1', eventTimeMs: NOW - 3000 });
  s.apply({ kind: 'USER_ACTIVITY', sourceEventId: '4769', eventTimeMs: NOW - 2000 });
  s.apply({ user: 'bob', eventTimeMs: NOW - 1000 });
  const e = s.table.get('10.0.0.5');
  assert.equal(e?.user, 'bob');
  assert.deepEqual(
    (e ? evidenceOf(e) : []).map((i) => [i.user, i.sourceEventId, i.rule]),
    [['bob', '4624', 'logon']],
  );
  const h = s.table.history.at('10.0.0.5', NOW - 1500);
  assert.deepEqual([h.at?.user, h.at?.endedBy, h.at?.toMs], ['alice', 'replaced', NOW - 1000]);
});
