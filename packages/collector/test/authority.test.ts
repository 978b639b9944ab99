import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainNames, parseNetwork, type Network } from '@fsso/common';
import { openDatabase } from '../src/store/database';
import { IdentityTable } from '../src/store/identity-table';
import { WorkstationStore } from '../src/store/workstations';
import { IdentityEngine } from '../src/identity/engine';
import { DEFAULT_IDENTITY } from '../src/identity/settings';
import { authorityOf, type Authority } from '../src/authority/authority';
import type { Evidence } from '../src/identity/entry';

const NOW = Date.UTC(2026, 11, 1, 9, 0, 0);
const names = new DomainNames([
  { netbios: 'CORP', dns: 'corp.example.test' },
  { netbios: 'SALES', dns: 'sales.example.test' },
]);
const net = (s: string): Network => {
  const n = parseNetwork(s);
  if (!n) throw new Error(s);
  return n;
};
const SALES: Authority = authorityOf(['SALES'], [], names, 'dc-sales');
const CORP: Authority = authorityOf(['CORP'], [], names, 'dc-corp');
const FOREST: Authority = authorityOf(['*'], [], names, 'dc-forest');

/** The real engine on a real (in-memory) SQLite table; `at` is seconds after NOW. */
function world() {
  const db = openDatabase(':memory:', 'normal');
  const table = new IdentityTable(db);
  const engine = new IdentityEngine(table, new WorkstationStore(db), {
    ...DEFAULT_IDENTITY,
    deadEntryTimeoutMs: 8 * 3600_000,
    domains: names,
  });
  let clock = 0;
  const say = (auth: Authority, over: Partial<Evidence>): void => {
    clock += 1;
    const t = NOW + clock * 1000;
    engine.apply(
      {
        kind: 'USER_LOGON',
        user: 'x',
        domain: '',
        ip: '',
        workstation: '',
        mac: '',
        eventTimeMs: t,
        source: 'test',
        sourceEventId: '',
        reporter: auth.reporter,
        ...over,
      },
      t + 10,
      auth,
    );
  };
  const who = (ip: string): string => {
    const e = table.get(ip);
    if (!e) return '-';
    return e.contested ? '(contested)' : e.shared ? '(shared)' : `${e.domain}\\${e.user}`;
  };
  return { table, engine, say, who };
}

test('a CORP agent cannot replace a SALES user (IP reuse): the address becomes contested, naming nobody', () => {
  const w = world();
  w.say(SALES, { user: 'bob', domain: 'SALES', ip: '198.18.5.1' });
  w.say(CORP, { user: 'mallory', domain: 'CORP', ip: '198.18.5.1' });
  assert.equal(w.who('198.18.5.1'), '(contested)');
  assert.deepEqual(
    w.table.get('198.18.5.1')?.claims.map((c) => [c.domain, c.user, c.reporter]),
    [
      ['SALES', 'bob', 'dc-sales'],
      ['CORP', 'mallory', 'dc-corp'],
    ],
  );
  assert.equal(w.engine.counters.contested, 1);
  // The holder's own agent speaks again: bob is back, mallory is not named.
  w.say(SALES, { kind: 'USER_ACTIVITY', user: 'bob', domain: 'SALES', ip: '198.18.5.1' });
  assert.equal(w.who('198.18.5.1'), 'SALES\\bob');
});

test('a CORP agent cannot release a SALES address (DHCP release outside its networks)', () => {
  const w = world();
  w.say(SALES, { user: 'carol', domain: 'SALES', ip: '198.18.5.2' });
  w.say(CORP, { kind: 'HOST_RELEASED', user: '', workstation: 'WS-CAROL', ip: '198.18.5.2', domain: 'CORP' });
  assert.equal(w.who('198.18.5.2'), 'SALES\\carol');
  assert.equal(w.engine.counters.outOfAuthority, 1);
});

test("a CORP agent naming SALES\\dave's workstation cannot move dave (machines are keyed by domain)", () => {
  const w = world();
  w.say(SALES, { user: 'dave', domain: 'SALES', ip: '198.18.5.3', workstation: 'WS-DAVE' });
  w.say(CORP, { kind: 'HOST_SEEN', user: 'ws-dave', domain: 'CORP', workstation: 'WS-DAVE', ip: '198.18.5.99' });
  w.say(CORP, { kind: 'HOST_ADDRESS', user: 'ws-dave', domain: 'CORP', workstation: 'WS-DAVE', ip: '198.18.5.98' });
  assert.equal(w.who('198.18.5.3'), 'SALES\\dave', 'dave stays where he is');
  assert.equal(w.who('198.18.5.99'), '-', 'and appears nowhere else');
  assert.equal(w.who('198.18.5.98'), '-');
  // A CORP machine claiming dave's address names nobody at it instead of keeping dave there silently.
  w.say(CORP, { kind: 'HOST_SEEN', user: 'ws-x', domain: 'CORP', workstation: 'WS-X', ip: '198.18.5.3' });
  assert.equal(w.who('198.18.5.3'), 'SALES\\dave', 'no CORP user is remembered on WS-X: nothing to claim');
});

test("three CORP users at SALES\\frank's address do not make it shared; it is contested and frank's agent resolves it", () => {
  const w = world();
  w.say(SALES, { user: 'frank', domain: 'SALES', ip: '198.18.5.4' });
  for (const u of ['m1', 'm2', 'm3']) w.say(CORP, { user: u, domain: 'CORP', ip: '198.18.5.4' });
  const e = w.table.get('198.18.5.4');
  assert.equal(e?.shared, false);
  assert.equal(e?.contested, true);
  assert.equal(e?.claims[0]?.user, 'frank', 'the holder stays first however many claim');
  w.say(SALES, { kind: 'USER_ACTIVITY', user: 'frank', domain: 'SALES', ip: '198.18.5.4' });
  assert.equal(w.who('198.18.5.4'), 'SALES\\frank');
});

test('inside one domain the rules are unchanged: IP reuse, roaming, shared hosts', () => {
  const w = world();
  w.say(CORP, { user: 'alice', domain: 'CORP', ip: '198.18.6.1', workstation: 'WS-ALICE' });
  w.say(CORP, { user: 'bob', domain: 'corp.example.test', ip: '198.18.6.1' });
  assert.equal(w.who('198.18.6.1'), 'CORP\\bob', 'IP reuse within CORP (DNS form of the name)');
  w.say(CORP, { user: 'carol', domain: 'CORP', ip: '198.18.6.2', workstation: 'WS-CAROL' });
  w.say(CORP, { kind: 'HOST_SEEN', user: 'ws-carol', domain: 'CORP', workstation: 'WS-CAROL', ip: '198.18.6.3' });
  assert.deepEqual([w.who('198.18.6.2'), w.who('198.18.6.3')], ['-', 'CORP\\carol'], 'roaming within CORP');
  for (const u of ['t1', 't2', 't3']) w.say(CORP, { user: u, domain: 'CORP', ip: '198.18.6.4' });
  assert.equal(w.who('198.18.6.4'), '(shared)');
});

test('a forest-wide agent may do all of it across domains', () => {
  const w = world();
  w.say(FOREST, { user: 'bob', domain: 'SALES', ip: '198.18.7.1' });
  w.say(FOREST, { user: 'alice', domain: 'CORP', ip: '198.18.7.1' });
  assert.equal(w.who('198.18.7.1'), 'CORP\\alice');
  w.say(FOREST, { kind: 'HOST_RELEASED', user: '', ip: '198.18.7.1', domain: 'SALES' });
  assert.equal(w.who('198.18.7.1'), '-');
});

test('an agent with address authority for a network may release and move any entry there by DHCP, and only there', () => {
  const w = world();
  const dhcp = authorityOf(['CORP'], [net('198.18.8.0/24')], names, 'dhcp-corp');
  w.say(SALES, { user: 'gina', domain: 'SALES', ip: '198.18.8.1' });
  w.say(SALES, { user: 'hank', domain: 'SALES', ip: '198.18.9.1' });
  w.say(dhcp, { kind: 'HOST_RELEASED', user: '', ip: '198.18.8.1', domain: 'CORP' });
  w.say(dhcp, { kind: 'HOST_RELEASED', user: '', ip: '198.18.9.1', domain: 'CORP' });
  assert.deepEqual(
    [w.who('198.18.8.1'), w.who('198.18.9.1')],
    ['-', 'SALES\\hank'],
    'inside its networks, yes; outside, no',
  );
  // The address authority's lease of a CORP machine at a SALES user's address ends the SALES entry (IP reuse).
  w.say(CORP, { user: 'ivan', domain: 'CORP', ip: '198.18.8.50', workstation: 'WS-IVAN' });
  w.say(SALES, { user: 'jane', domain: 'SALES', ip: '198.18.8.2', workstation: 'WS-JANE' });
  w.say(dhcp, { kind: 'HOST_ADDRESS', user: 'ws-ivan', domain: 'CORP', workstation: 'WS-IVAN', ip: '198.18.8.2' });
  assert.deepEqual([w.who('198.18.8.2'), w.who('198.18.8.50')], ['CORP\\ivan', '-']);
});

test('a shared address stays shared while two of its users have live evidence, across quiet periods', () => {
  const w = world();
  for (const u of ['t1', 't2', 't3']) w.say(CORP, { user: u, domain: 'CORP', ip: '198.18.6.9' });
  // Hours later (well past the 10-minute window, inside the dead-entry timeout), one more logon.
  w.engine.apply(
    {
      kind: 'USER_LOGON',
      user: 't4',
      domain: 'CORP',
      ip: '198.18.6.9',
      workstation: '',
      mac: '',
      eventTimeMs: NOW + 3 * 3600_000,
      source: 'test',
      sourceEventId: '',
      reporter: 'dc-corp',
    },
    NOW + 3 * 3600_000,
    CORP,
  );
  assert.equal(w.who('198.18.6.9'), '(shared)');
});
