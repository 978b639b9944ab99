import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@fsso/common';
import { parseHelperReply, splitAccount } from '../src/ntlm/helper';
import { UsedAnswers } from '../src/ntlm/replay';
import { mechanismOf } from '../src/ntlm/service';
import { validateNtlm } from '../src/ntlm/config';

test("ntlm_auth's replies: challenge, success, refusal and a broken helper, in both protocols", () => {
  assert.deepEqual(parseHelperReply('ntlm', 'TT AAEC'), { kind: 'continue', token: Buffer.from([0, 1, 2]) });
  assert.deepEqual(parseHelperReply('ntlm', 'AF CORP\\alice'), {
    kind: 'done',
    token: Buffer.alloc(0),
    account: 'CORP\\alice',
  });
  assert.deepEqual(parseHelperReply('ntlm', 'NA NT_STATUS_LOGON_FAILURE'), {
    kind: 'failed',
    reason: 'NT_STATUS_LOGON_FAILURE',
  });
  // gss-spnego carries a token (or '*') before the account or the reason.
  assert.deepEqual(parseHelperReply('negotiate', 'AF oRQwEqADCgEA alice@CORP.EXAMPLE.TEST'), {
    kind: 'done',
    token: Buffer.from('oRQwEqADCgEA', 'base64'),
    account: 'alice@CORP.EXAMPLE.TEST',
  });
  assert.deepEqual(parseHelperReply('negotiate', 'NA * NT_STATUS_LOGON_FAILURE'), {
    kind: 'failed',
    reason: 'NT_STATUS_LOGON_FAILURE',
  });
  assert.equal(parseHelperReply('ntlm', 'BH winbind not running').kind, 'broken');
  assert.match((parseHelperReply('ntlm', 'YR junk') as { reason: string }).reason, /unexpected helper reply "YR junk"/);
});

test('accounts as the helper names them: DOMAIN\\user, a Kerberos principal, or a bare name', () => {
  assert.deepEqual(splitAccount('CORP\\Alice'), { user: 'alice', domain: 'CORP' });
  assert.deepEqual(splitAccount('alice@corp.example.test'), { user: 'alice', domain: 'CORP.EXAMPLE.TEST' });
  assert.deepEqual(splitAccount('alice'), { user: 'alice', domain: '' });
});

test('an answer is used once; the list forgets after the TTL and stays bounded', () => {
  const used = new UsedAnswers(1000, 2);
  const a = Buffer.from('type3-a');
  assert.equal(used.use(a, 0), true);
  assert.equal(used.use(a, 500), false, 'a replay within the TTL');
  assert.equal(used.use(a, 1500), true, 'its challenge expired long ago: no longer remembered');
  used.use(Buffer.from('b'), 1600);
  used.use(Buffer.from('c'), 1700);
  assert.equal(used.use(a, 1800), true, 'the oldest is forgotten past the bound');
});

test('the mechanism of a first token: raw or wrapped NTLMSSP, or Kerberos', () => {
  const ntlmssp = Buffer.concat([Buffer.from('NTLMSSP\0', 'latin1'), Buffer.from([1, 0, 0, 0])]);
  assert.equal(mechanismOf('ntlm', ntlmssp), 'ntlm');
  assert.equal(mechanismOf('negotiate', Buffer.concat([Buffer.from([0x60, 0x40]), ntlmssp])), 'ntlm');
  assert.equal(mechanismOf('negotiate', Buffer.from('6082010006092a864886f712010202', 'hex')), 'kerberos');
  assert.equal(mechanismOf('negotiate', Buffer.from('junk')), 'unknown');
});

test('the ntlm section: defaults, and each wrong value named with the fix', () => {
  assert.equal(validateNtlm(undefined).enabled, false);
  const c = validateNtlm({ enabled: true, helpers: 8, exchangeTimeout: '5s', schemes: ['ntlm'] });
  assert.deepEqual([c.helpers, c.exchangeTimeoutMs, c.schemes, c.command], [8, 5000, ['ntlm'], ['ntlm_auth']]);
  const bad = (raw: unknown, re: RegExp): void =>
    assert.throws(
      () => validateNtlm(raw),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
    );
  bad('yes', /^ntlm: expected an object/);
  bad({ helpers: 65 }, /ntlm\.helpers: expected a whole number from 1 to 64/);
  bad({ queue: -1 }, /ntlm\.queue/);
  bad({ exchangeTimeout: '10ms' }, /ntlm\.exchangeTimeout: must be at least "100ms"/);
  bad({ schemes: [] }, /ntlm\.schemes: expected a non-empty list/);
  bad({ command: [''] }, /ntlm\.command: expected a list of non-empty strings/);
});
