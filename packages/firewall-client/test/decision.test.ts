import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainNames } from '@fsso/common';
import { id } from './fixtures';
import { decide } from '../src/decision';

test('a member of an allowed group passes; the reason names the group', () => {
  assert.deepEqual(decide(id({}), { allowGroups: ['CORP\\VPN-Users'] }), {
    allow: true,
    user: 'CORP\\alice',
    reason: 'CORP\\alice is a member of CORP\\VPN-Users',
  });
});

test("a domain-qualified group rule matches only that domain's group, whatever the identity's domain", () => {
  assert.equal(
    decide(id({ domain: 'SALES', groups: ['SALES\\VPN-Users'] }), { allowGroups: ['CORP\\VPN-Users'] }).allow,
    false,
  );
  assert.equal(
    decide(id({ domain: '', groups: ['SALES\\VPN-Users'] }), { allowGroups: ['CORP\\VPN-Users'] }).allow,
    false,
    'an identity without a domain borrows none',
  );
  assert.equal(
    decide(id({ domain: 'SALES', groups: ['SALES\\VPN-Users'] }), { allowGroups: ['VPN-Users'] }).allow,
    true,
    'a bare rule: any domain',
  );
});

test('a DN rule matches only a group of its own domain', () => {
  const rule = {
    allowGroups: ['CN=Engineering,OU=Contractors,DC=emea,DC=example,DC=test'],
    domains: new DomainNames([{ netbios: 'EMEA', dns: 'emea.example.test' }]),
  };
  assert.equal(decide(id({ groups: ['CORP\\Engineering'] }), rule).allow, false);
  assert.equal(decide(id({ domain: 'EMEA', groups: ['EMEA\\Engineering'] }), rule).allow, true);
});

test('with the DNs from LDAP, a DN rule matches only that DN, not another group of the same CN (issue 9, item 8)', () => {
  const staff = 'CN=Engineering,OU=Staff,DC=corp,DC=example,DC=test';
  const alice = id({ groups: ['CORP\\Engineering'], groupDns: [staff] });
  const domains = new DomainNames([{ netbios: 'CORP', dns: 'corp.example.test' }]);
  const other = decide(alice, { allowGroups: ['CN=Engineering,OU=Contractors,DC=corp,DC=example,DC=test'], domains });
  assert.deepEqual(
    other,
    { allow: false, user: 'CORP\\alice', reason: 'CORP\\alice is in none of the allowed groups' },
    'same CN and domain, another OU: denied',
  );
  assert.equal(
    decide(alice, { allowGroups: ['cn=engineering, ou=staff, dc=corp, dc=example, dc=test'], domains }).allow,
    true,
    'the exact DN (case and spaces aside) allows',
  );
  assert.equal(decide(alice, { allowGroups: [staff] }).allow, true, 'a DN matches without the domain pairing too');
  assert.equal(
    decide(alice, { allowGroups: ['CORP\\Engineering'] }).allow,
    true,
    'a DOMAIN\\name rule still matches by name and domain',
  );
  assert.equal(
    decide(alice, { allowGroups: ['EMEA\\Engineering'] }).allow,
    false,
    "another domain's group of that name does not",
  );
  assert.equal(decide(alice, { allowGroups: ['Engineering'] }).allow, true, 'a bare name: any domain');
});

test('a group whose DN differs from its sAMAccountName matches its DN rule; DNs that do not line up with the names are ignored', () => {
  const renamed = id({
    groups: ['CORP\\eng-all'],
    groupDns: ['CN=Engineering (all),OU=Staff,DC=corp,DC=example,DC=test'],
  });
  assert.equal(
    decide(renamed, { allowGroups: ['CN=Engineering (all),OU=Staff,DC=corp,DC=example,DC=test'] }).allow,
    true,
  );
  assert.equal(decide(renamed, { allowGroups: ['CORP\\eng-all'] }).allow, true);
  const misaligned = id({
    groups: ['CORP\\Engineering', 'CORP\\Sales'],
    groupDns: ['CN=Engineering,OU=Staff,DC=corp,DC=example,DC=test'],
  });
  assert.equal(decide(misaligned, { allowGroups: ['CORP\\Sales'] }).allow, true, 'names still match');
});

test('user rules: CORP\\alice matches only CORP; alice@corp.example.test through the configured names', () => {
  const domains = new DomainNames([{ netbios: 'CORP', dns: 'corp.example.test' }]);
  assert.equal(decide(id({ domain: 'SALES' }), { allowUsers: ['CORP\\alice'] }).allow, false);
  assert.equal(decide(id({}), { allowUsers: ['alice@corp.example.test'], domains }).allow, true);
  assert.equal(
    decide(id({}), { allowUsers: ['alice@corp.example.test'] }).allow,
    false,
    'without the pairing, two names are two domains',
  );
});

test('shared and contested addresses are denied with a reason that says so', () => {
  const shared = decide(id({ shared: true, user: '', domain: '' }), { allowGroups: ['VPN-Users'] });
  assert.equal(shared.allow, false);
  assert.match(shared.reason, /is shared by several users/);
  const contested = decide(id({ contested: true, user: '', groups: [] }), { allowGroups: ['VPN-Users'] });
  assert.equal(contested.allow, false);
  assert.match(contested.reason, /contested/);
});

test('an inferred (on-demand) identity passes only with allowInferred', () => {
  const inferred = id({ inferred: true });
  const d = decide(inferred, { allowGroups: ['CORP\\VPN-Users'] });
  assert.equal(d.allow, false);
  assert.match(d.reason, /only inferred/);
  assert.equal(decide(inferred, { allowGroups: ['CORP\\VPN-Users'], allowInferred: true }).allow, true);
});

test('no identity, or one outside every rule, is denied', () => {
  assert.deepEqual(decide(undefined, { allowGroups: ['x'] }), {
    allow: false,
    reason: 'no user is known at this address',
  });
  assert.equal(
    decide(id({ groups: ['CORP\\Sales'] }), { allowGroups: ['CORP\\VPN-Users'] }).reason,
    'CORP\\alice is in none of the allowed groups',
  );
});
