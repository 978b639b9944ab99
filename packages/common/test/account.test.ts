import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseAccount, normaliseMac, normaliseWorkstation } from '../src/identity/account';

test('DOMAIN\\user, user@REALM and separate fields fold to one account', () => {
  assert.deepEqual(normaliseAccount('CORP\\Alice'), { user: 'alice', domain: 'CORP', machine: false });
  assert.deepEqual(normaliseAccount('admmig@OFFSEC.LAN', 'OFFSEC'), {
    user: 'admmig',
    domain: 'OFFSEC.LAN',
    machine: false,
  });
  assert.deepEqual(normaliseAccount('pgustavo', 'theshire.local'), {
    user: 'pgustavo',
    domain: 'THESHIRE.LOCAL',
    machine: false,
  });
  assert.deepEqual(normaliseAccount('WEC01$@OFFSEC.LAN'), { user: 'wec01', domain: 'OFFSEC.LAN', machine: true });
  assert.deepEqual(normaliseAccount('pamela', '.'), { user: 'pamela', domain: '', machine: false });
  assert.equal(normaliseAccount('-', 'CORP'), null);
  assert.equal(normaliseAccount('', 'CORP'), null);
});

test('workstations and MACs take one form', () => {
  assert.equal(normaliseWorkstation('\\\\wks-bob'), 'WKS-BOB');
  assert.equal(normaliseWorkstation('-'), '');
  assert.equal(normaliseMac('787E614D9DA3'), '78:7e:61:4d:9d:a3');
  assert.equal(normaliseMac('d4-ca-6d-11-22-33'), 'd4:ca:6d:11:22:33');
  assert.equal(normaliseMac('nope'), '');
});
