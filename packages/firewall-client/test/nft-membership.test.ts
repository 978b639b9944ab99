import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DomainNames, type Identity__Output } from '@fsso/common';
import { validateNftConfig } from '../src/nft/config';
import { SetMembership } from '../src/nft/membership';
import { changeScript, fullSyncScript } from '../src/nft/script';
import { reply } from '../src/squid/protocol';

function id(p: Partial<Identity__Output>): Identity__Output {
  return {
    ip: '198.18.0.10',
    user: 'alice',
    domain: 'CORP',
    groups: [],
    workstation: '',
    firstSeenMs: 0,
    lastSeenMs: 0,
    source: 'test',
    revision: 1,
    shared: false,
    groupsStale: false,
    inferred: false,
    contested: false,
    groupDns: [],
    ...p,
  };
}

const cfg = validateNftConfig({
  sets: [
    { name: 'vpn', groups: ['CORP\\VPN-Users'] },
    { name: 'anyvpn', groups: ['VPN-Users'] },
    { name: 'dn', groups: ['CN=Admins,OU=IT,DC=corp,DC=example,DC=test'] },
    { name: 'alice', users: ['alice@corp.example.test'] },
    { name: 'guess', users: ['alice'], inferred: true },
    { name: 'odd', unknown: true, shared: true, contested: true },
  ],
});
const m = new SetMembership(cfg.sets, new DomainNames([{ netbios: 'CORP', dns: 'corp.example.test' }]));

test('a DOMAIN\\group rule matches only that domain; a bare group name any domain', () => {
  assert.deepEqual(m.setsOf(id({ groups: ['VPN-Users'] })), ['vpn', 'anyvpn', 'alice', 'guess']);
  assert.deepEqual(m.setsOf(id({ user: 'bob', domain: 'SALES', groups: ['VPN-Users'] })), ['anyvpn']);
  assert.deepEqual(
    m.setsOf(id({ user: 'bob', groups: ['corp\\vpn-users'] })),
    ['vpn', 'anyvpn'],
    'names compare case-insensitively',
  );
});

test("a DN rule matches only that DN, not another OU's group of the same name", () => {
  assert.deepEqual(
    m.setsOf(id({ user: 'bob', groups: ['Admins'], groupDns: ['CN=Admins,OU=IT,DC=corp,DC=example,DC=test'] })),
    ['dn'],
  );
  assert.deepEqual(
    m.setsOf(id({ user: 'bob', groups: ['Admins'], groupDns: ['CN=Admins,OU=Lab,DC=corp,DC=example,DC=test'] })),
    [],
  );
});

test('a user rule with a DNS domain matches the NetBIOS domain it is configured to equal, and no other', () => {
  assert.ok(m.setsOf(id({})).includes('alice'));
  assert.ok(!m.setsOf(id({ domain: 'SALES' })).includes('alice'));
});

test('shared, contested and user-less addresses land only in sets that ask for them; inferred only where allowed', () => {
  assert.deepEqual(m.setsOf(id({ shared: true, groups: ['VPN-Users'] })), ['odd']);
  assert.deepEqual(m.setsOf(id({ contested: true })), ['odd']);
  assert.deepEqual(m.setsOf(id({ user: '' })), ['odd']);
  assert.deepEqual(m.setsOf(id({ inferred: true, groups: ['VPN-Users'] })), ['guess']);
  assert.deepEqual(m.setsOf(undefined), []);
});

test('an IPv6 address goes to the NAME_v6 set', () => {
  assert.deepEqual(m.setsOf(id({ ip: '2001:db8::5', user: 'bob', groups: ['VPN-Users'] })), ['vpn_v6', 'anyvpn_v6']);
});

test('scripts: a change puts the delete and the add in one file; a full sync flushes then fills each set', () => {
  assert.equal(
    changeScript(cfg, [
      { set: 'anyvpn', ip: '198.18.0.1', op: 'add' },
      { set: 'vpn', ip: '198.18.0.1', op: 'delete' },
    ]),
    'delete element inet fsso vpn { 198.18.0.1 }\nadd element inet fsso anyvpn { 198.18.0.1 }\n',
  );
  const full = fullSyncScript(cfg, new Map([['vpn', new Set(['198.18.0.1', '198.18.0.2'])]]));
  assert.match(
    full,
    /^add table inet fsso\nadd set inet fsso vpn \{ type ipv4_addr; \}\nflush set inet fsso vpn\nadd element inet fsso vpn \{ 198\.18\.0\.1, 198\.18\.0\.2 \}\nadd set inet fsso vpn_v6 \{ type ipv6_addr; \}/,
  );
});

test('nft config: unknown keys, bad names and empty sets are errors naming the field and the fix', () => {
  const err = (raw: unknown, field: string, msg: RegExp): void => {
    assert.throws(
      () => validateNftConfig(raw),
      (e: unknown) => e instanceof ConfigError && e.field === field && msg.test(e.message),
    );
  };
  err({ sets: [{ name: 'a', users: ['x'] }], tabel: 'x' }, 'nft.tabel', /unknown key; the keys here are table, family/);
  err({ sets: [{ name: 'a', users: ['x'], group: ['y'] }] }, 'nft.sets[0].group', /unknown key/);
  err({ sets: [{ name: 'bad-name', users: ['x'] }] }, 'nft.sets[0].name', /not an nft set name/);
  err({ sets: [{ name: 'a' }] }, 'nft.sets[0]', /would always be empty/);
  err({ sets: [{ name: 'a', users: 'alice' }] }, 'nft.sets[0].users', /expected a list of names/);
  err(
    {
      sets: [
        { name: 'a', users: ['x'] },
        { name: 'A', users: ['y'] },
      ],
    },
    'nft.sets[1].name',
    /used twice/,
  );
  err({ sets: [{ name: 'a', users: ['x'] }], family: 'bridge' }, 'nft.family', /use "inet"/);
  assert.deepEqual(validateNftConfig({ sets: [{ name: 'a', users: ['x'] }] }).command, ['nft']);
});

test('squid: with and without channel ids, OK with the URL-encoded user and groups, or ERR', () => {
  const table = new Map([
    ['198.18.0.10', id({ groups: ['VPN Users', 'Staff'] })],
    ['198.18.0.11', id({ ip: '198.18.0.11', shared: true })],
    ['198.18.0.12', id({ ip: '198.18.0.12', inferred: true })],
  ]);
  const look = (ip: string): Identity__Output | undefined => table.get(ip);
  assert.equal(reply('198.18.0.10', look, { inferred: false }), 'OK user=CORP%5Calice tag=VPN%20Users%2CStaff');
  assert.equal(reply('7 198.18.0.10', look, { inferred: false }), '7 OK user=CORP%5Calice tag=VPN%20Users%2CStaff');
  assert.equal(reply('0 198.18.0.99', look, { inferred: false }), '0 ERR');
  assert.equal(reply('198.18.0.11', look, { inferred: false }), 'ERR', 'a shared address names nobody');
  assert.equal(reply('3 198.18.0.12', look, { inferred: false }), '3 ERR', 'inferred only when allowed');
  assert.equal(reply('3 198.18.0.12', look, { inferred: true }), '3 OK user=CORP%5Calice');
  assert.equal(
    reply('198.18.0.10 extra-field', look, { inferred: false }).startsWith('OK '),
    true,
    'more format fields after %SRC are ignored',
  );
});
