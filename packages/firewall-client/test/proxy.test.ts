import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@fsso/common';
import { parseAuthorization } from '../src/proxy/gate';
import { validateProxyConfig } from '../src/proxy/config';

test('Proxy-Authorization: NTLM and Negotiate tokens of offered schemes; anything else is no credentials', () => {
  assert.deepEqual(parseAuthorization('NTLM AAEC', ['ntlm']), { scheme: 'ntlm', token: Buffer.from([0, 1, 2]) });
  assert.deepEqual(parseAuthorization('negotiate  YII=', ['negotiate', 'ntlm']), {
    scheme: 'negotiate',
    token: Buffer.from('YII=', 'base64'),
  });
  assert.equal(parseAuthorization('NTLM AAEC', ['negotiate']), undefined, 'a scheme not offered');
  assert.equal(parseAuthorization('Basic YWxpY2U6cHc=', ['ntlm']), undefined, 'Basic is never taken');
  assert.equal(parseAuthorization('NTLM', ['ntlm']), undefined);
  assert.equal(parseAuthorization(undefined, ['ntlm']), undefined);
});

test('the proxy section: defaults, and each wrong value named', () => {
  const c = validateProxyConfig(undefined);
  assert.deepEqual([c.listen, c.schemes, c.maxFailures], ['127.0.0.1:3128', ['negotiate', 'ntlm'], 3]);
  const bad = (raw: unknown, re: RegExp): void =>
    assert.throws(
      () => validateProxyConfig(raw),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
    );
  bad({ listen: 'nowhere' }, /proxy\.listen/);
  bad({ schemes: ['basic'] }, /proxy\.schemes: expected a non-empty list of "negotiate" and "ntlm"/);
  bad({ maxFailures: 0 }, /proxy\.maxFailures: expected a whole number from 1 to 100/);
  bad({ lissten: '0.0.0.0:3128' }, /proxy\.lissten: unknown setting/);
  bad([], /^proxy: expected an object/);
});
