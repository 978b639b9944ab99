import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DomainNames } from '@fsso/common';
import { id } from './fixtures';
import { compilePolicy } from '../src/policy';

test('first match wins: a deny before an allow denies, and the decision names the rule, its index and why', () => {
  const p = compilePolicy({
    rules: [
      { action: 'deny', name: 'blocked', users: ['CORP\\alice'] },
      { action: 'allow', name: 'vpn', groups: ['CORP\\VPN-Users'] },
    ],
  });
  assert.deepEqual(
    { ...p.decide(id({})) },
    {
      action: 'deny',
      rule: 0,
      ruleName: 'blocked',
      user: 'CORP\\alice',
      reason: 'CORP\\alice is named: rule 0 "blocked" denies',
    },
  );
  assert.deepEqual(
    { ...p.decide(id({ user: 'bob' })) },
    {
      action: 'allow',
      rule: 1,
      ruleName: 'vpn',
      user: 'CORP\\bob',
      reason: 'CORP\\bob is a member of CORP\\VPN-Users: rule 1 "vpn" allows',
    },
  );
});

test('no rule matches: the default applies (deny unless the policy says allow), rule -1', () => {
  const d = compilePolicy({ rules: [{ action: 'allow', groups: ['CORP\\Admins'] }] }).decide(id({}));
  assert.deepEqual(
    { ...d },
    {
      action: 'deny',
      rule: -1,
      ruleName: 'default',
      user: 'CORP\\alice',
      reason: 'CORP\\alice matches no rule; default deny',
    },
  );
  assert.equal(
    compilePolicy({ rules: [{ action: 'deny', groups: ['CORP\\Admins'] }], default: 'allow' }).decide(id({})).action,
    'allow',
  );
});

test('a DOMAIN\\name rule matches only that domain; a UPN only through the configured domain names', () => {
  const p = compilePolicy({ rules: [{ action: 'allow', users: ['CORP\\alice'], groups: ['CORP\\VPN-Users'] }] });
  assert.equal(
    p.decide(id({ domain: 'SALES', groups: ['SALES\\VPN-Users'] })).action,
    'deny',
    "another domain's alice and group of that name",
  );
  assert.equal(p.decide(id({ domain: 'corp' })).action, 'allow', 'domains compare without case');
  const names = new DomainNames([{ netbios: 'CORP', dns: 'corp.example.test' }]);
  assert.equal(
    compilePolicy({ rules: [{ action: 'allow', users: ['alice@corp.example.test'] }] }, names).decide(
      id({ groups: [] }),
    ).action,
    'allow',
  );
  assert.equal(
    compilePolicy({ rules: [{ action: 'allow', users: ['alice@corp.example.test'] }] }).decide(id({ groups: [] }))
      .action,
    'deny',
    'without the pairing, two names are two domains',
  );
});

test('a bare name is refused unless the policy says anyDomain; with it, it matches in every domain', () => {
  assert.throws(
    () => compilePolicy({ rules: [{ action: 'allow', groups: ['VPN-Users'] }] }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.field === 'policy.rules[0].groups' &&
      /"VPN-Users" names no domain; write "CORP\\\\VPN-Users" \(or a DN\), or set "anyDomain": true/.test(e.message),
  );
  assert.throws(
    () => compilePolicy({ rules: [{ action: 'allow', users: ['alice'] }] }),
    /policy\.rules\[0\]\.users: "alice" names no domain/,
  );
  const p = compilePolicy({
    anyDomain: true,
    rules: [
      { action: 'allow', groups: ['vpn-users'] },
      { action: 'allow', name: 'u', users: ['bob'] },
    ],
  });
  assert.equal(p.decide(id({ domain: 'SALES', groups: ['SALES\\VPN-Users'] })).action, 'allow');
  assert.equal(p.decide(id({ user: 'BOB', domain: 'EMEA', groups: [] })).ruleName, 'u');
});

test('a DN rule matches only that DN when the identity carries DNs; by name in the DN domain when it does not', () => {
  const names = new DomainNames([{ netbios: 'CORP', dns: 'corp.example.test' }]);
  const p = compilePolicy(
    { rules: [{ action: 'allow', groups: ['CN=Engineering,OU=Staff,DC=corp,DC=example,DC=test'] }] },
    names,
  );
  assert.equal(
    p.decide(
      id({ groups: ['CORP\\Engineering'], groupDns: ['CN=Engineering,OU=Contractors,DC=corp,DC=example,DC=test'] }),
    ).action,
    'deny',
    'same CN, another OU',
  );
  assert.equal(
    p.decide(id({ groups: ['CORP\\eng'], groupDns: ['cn=engineering, ou=staff, dc=corp, dc=example, dc=test'] }))
      .action,
    'allow',
    'the DN decides alone, case and spaces aside',
  );
  assert.equal(
    p.decide(id({ groups: ['CORP\\Engineering'] })).action,
    'allow',
    'no DN known: the name in the DN domain',
  );
  assert.equal(
    p.decide(id({ domain: 'EMEA', groups: ['EMEA\\Engineering'] })).action,
    'deny',
    'no DN known: another domain does not',
  );
});

test('unknown, shared and contested addresses match only rules that name them', () => {
  const p = compilePolicy({
    anyDomain: true,
    rules: [
      { action: 'allow', name: 'everyone', groups: ['Domain Users'] },
      { action: 'allow', name: 'guests', unknown: true },
      { action: 'deny', name: 'labs', shared: true },
    ],
    default: 'allow',
  });
  const unknown = p.decide(undefined);
  assert.deepEqual(
    { ...unknown },
    {
      action: 'allow',
      rule: 1,
      ruleName: 'guests',
      reason: 'no user is known at this address: rule 1 "guests" (unknown) allows',
    },
  );
  assert.equal(
    p.decide(id({ user: '', domain: '', groups: [] })).ruleName,
    'guests',
    'an entry without a user is unknown',
  );
  assert.deepEqual(
    { ...p.decide(id({ shared: true, user: '', groups: ['CORP\\Domain Users'] })) },
    {
      action: 'deny',
      rule: 2,
      ruleName: 'labs',
      reason: 'the address is shared by several users; no single user is named there: rule 2 "labs" (shared) denies',
    },
  );
  const contested = p.decide(id({ contested: true, user: '', groups: [] }));
  assert.equal(contested.rule, -1, 'no rule names contested addresses: the default');
  assert.match(
    contested.reason,
    /contested by agents of different domains.*no rule with "contested": true.*default allow/,
  );
});

test('an inferred identity matches only rules with "inferred": true; the reason says why it fell through', () => {
  const p = compilePolicy({ rules: [{ action: 'allow', name: 'seen', groups: ['CORP\\VPN-Users'] }] });
  const d = p.decide(id({ inferred: true }));
  assert.equal(d.action, 'deny');
  assert.equal(
    d.reason,
    'CORP\\alice is only inferred at this address (resolved on demand) and no rule with "inferred": true names them; default deny',
  );
  const q = compilePolicy({ rules: [{ action: 'allow', groups: ['CORP\\VPN-Users'], inferred: true }] });
  assert.equal(
    q.decide(id({ inferred: true })).reason,
    'CORP\\alice (inferred) is a member of CORP\\VPN-Users: rule 0 "rule 0" allows',
  );
});

test('decisions are cached per identity object and per policy; another identity object is decided afresh', () => {
  const p = compilePolicy({ rules: [{ action: 'allow', groups: ['CORP\\VPN-Users'] }] });
  const q = compilePolicy({ rules: [{ action: 'deny', groups: ['CORP\\VPN-Users'] }] });
  const alice = id({});
  assert.equal(p.decide(alice), p.decide(alice), 'the same frozen decision');
  assert.equal(q.decide(alice).action, 'deny', 'another policy on the same identity');
  assert.equal(p.decide(alice).action, 'allow');
  assert.equal(p.decide(id({ groups: [] })).action, 'deny', 'a changed identity is a new object: no stale decision');
  assert.ok(Object.isFrozen(p.decide(alice)));
});

test('bad policies are refused with the field and the fix', () => {
  const bad: [unknown, RegExp][] = [
    [
      { rules: [{ action: 'permit', users: ['CORP\\a'] }] },
      /^policy\.rules\[0\]\.action: expected "allow" or "deny", got "permit"$/,
    ],
    [
      { rules: [{ action: 'allow', user: ['CORP\\a'] }] },
      /^policy\.rules\[0\]\.user: unknown setting; known ones here are action, name, users/,
    ],
    [{ rules: [{ action: 'allow' }] }, /^policy\.rules\[0\]: the rule names nobody; give it "users" or "groups"/],
    [{ rules: [{ action: 'allow', groups: 'CORP\\a' }] }, /^policy\.rules\[0\]\.groups: expected a list of names/],
    [
      { rules: [{ action: 'allow', unknown: 'yes' }] },
      /^policy\.rules\[0\]\.unknown: expected true or false, got "yes"$/,
    ],
    [{ rules: [], default: 'drop' }, /^policy\.default: expected "allow" or "deny", got "drop"$/],
    [{ rule: [] }, /^policy\.rule: unknown setting; known ones here are rules, default, anyDomain$/],
    [{}, /^policy\.rules: expected a list of rules/],
  ];
  for (const [p, re] of bad)
    assert.throws(
      () => compilePolicy(p),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
      JSON.stringify(p),
    );
});
