import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DomainNames,
  directoryGroupName,
  formatAccount,
  groupMatches,
  parseAccountName,
  parseGroupName,
} from '../src/identity/domains';

const names = new DomainNames([
  { netbios: 'CORP', dns: 'corp.example.test' },
  { netbios: 'SALES', dns: ['sales.example.test', 'sales.example'] },
]);

test('domains are names compared whole: NetBIOS equals DNS only where configured', () => {
  assert.equal(names.same('CORP', 'corp.example.test'), true);
  assert.equal(names.same('corp', 'CORP'), true);
  assert.equal(names.same('CORP.EXAMPLE.TEST', 'CORP.EVIL.COM'), false, 'the first DNS label proves nothing');
  assert.equal(names.same('CORP', 'CORP.SALES.EXAMPLE'), false);
  assert.equal(names.same('SALES', 'sales.example'), true);
  assert.equal(names.same('', 'CORP'), false, "'' is no wildcard");
  assert.equal(
    DomainNames.NONE.same('CORP', 'CORP.EXAMPLE.TEST'),
    false,
    'without configuration, two names are two domains',
  );
  assert.equal(names.canonical('corp.example.test'), 'CORP');
  assert.equal(names.canonical('OTHER.EXAMPLE'), 'OTHER.EXAMPLE');
});

test("a certificate's domains cover a domain by whole name; '*' covers all", () => {
  assert.equal(names.covers(['CORP.EXAMPLE.TEST'], 'CORP'), true);
  assert.equal(names.covers(['CORP.EXAMPLE.TEST'], 'CORP.EVIL.COM'), false);
  assert.equal(names.covers(['CORP'], 'CORP.SALES.EXAMPLE'), false);
  assert.equal(names.covers(['*'], 'ANYTHING'), true);
  assert.equal(names.covers([], 'CORP'), false, 'an empty list covers nothing');
});

test('account names: DOMAIN\\user and UPNs carry their own domain', () => {
  assert.deepEqual(parseAccountName('SALES\\eve'), { domain: 'SALES', user: 'eve' });
  assert.deepEqual(parseAccountName('eve@sales.example'), { domain: 'sales.example', user: 'eve' });
  assert.deepEqual(parseAccountName('eve'), { domain: undefined, user: 'eve' });
  assert.equal(formatAccount('eve', 'SALES'), 'SALES\\eve');
  assert.equal(formatAccount('eve', ''), 'eve');
});

test('group rules: a domain-qualified rule matches only that domain, a DN only its domain and name, a bare name any domain', () => {
  const have = parseGroupName('SALES\\VPN-Users', names);
  assert.equal(groupMatches(parseGroupName('CORP\\VPN-Users', names), have), false);
  assert.equal(groupMatches(parseGroupName('SALES\\vpn-users', names), have), true);
  assert.equal(groupMatches(parseGroupName('vpn-users@sales.example.test', names), have), true);
  assert.equal(groupMatches(parseGroupName('VPN-Users', names), have), true);
  const dn = parseGroupName('CN=VPN-Users,OU=Contractors,DC=corp,DC=example,DC=test', names);
  assert.equal(dn.domain, 'CORP');
  assert.equal(groupMatches(dn, have), false, "a DN in CORP does not match SALES's group of the same CN");
  assert.equal(groupMatches(dn, parseGroupName('CORP\\VPN-Users', names)), true);
  assert.equal(
    groupMatches(dn, parseGroupName('CN=VPN-Users,OU=Staff,DC=corp,DC=example,DC=test', names)),
    false,
    'two DNs compare whole',
  );
});

test("a directory's group carries its DN: a DN rule compares whole DNs, a DOMAIN\\name rule the name and the directory's domain", () => {
  const names = new DomainNames([{ netbios: 'CORP', dns: 'corp.example.test' }]);
  const have = directoryGroupName('CORP\\Engineering', 'CN=Engineering,OU=Staff,DC=corp,DC=example,DC=test', names);
  assert.equal(
    groupMatches(parseGroupName('CN=Engineering,OU=Contractors,DC=corp,DC=example,DC=test', names), have),
    false,
    'same CN and domain, another OU',
  );
  assert.equal(
    groupMatches(parseGroupName('CN=Engineering, OU=Staff, DC=corp, DC=example, DC=test', names), have),
    true,
  );
  assert.equal(groupMatches(parseGroupName('CORP\\engineering', names), have), true);
  assert.equal(groupMatches(parseGroupName('SALES\\Engineering', names), have), false);
  assert.deepEqual(
    directoryGroupName('CORP\\Engineering', '', names),
    parseGroupName('CORP\\Engineering', names),
    'no DN: the name alone',
  );
});
