import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseIp, parseNetwork, networkContains } from '../src/net/ip';

test('every spelling of one address gives one key', () => {
  const cases: [string, string | null][] = [
    ['10.23.123.11', '10.23.123.11'],
    ['::ffff:10.23.123.11', '10.23.123.11'], // Windows 4768/4769 on DCs
    ['::FFFF:10.0.0.12', '10.0.0.12'],
    ['ipv4:192.168.0.123:60625', '192.168.0.123'], // Samba remoteAddress
    ['ipv6:fe80::1cae:5aa4:9d8d:106a:445', 'fe80::1cae:5aa4:9d8d:106a'],
    ['[2001:DB8:0:0::1]:443', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['10.1.2.3:5555', '10.1.2.3'],
    // Dotted quads at the fast path's edges.
    ['0.1.2.3', '0.1.2.3'],
    ['255.255.255.254', '255.255.255.254'],
    [' 10.1.2.3 ', '10.1.2.3'],
  ];
  for (const [raw, want] of cases) assert.equal(normaliseIp(raw), want, raw);
});

test('addresses that name no client are dropped', () => {
  for (const raw of [
    '-',
    '',
    '  ',
    '127.0.0.1',
    '127.5.5.5',
    '::1',
    '::',
    '0.0.0.0',
    'unix:',
    'ipv6::::0',
    'garbage',
    '::ffff:127.0.0.1',
    '010.001.002.003', // leading zeros: octal to some parsers, so no key at all
    '256.1.2.3',
    '1.2.3',
    '1.2.3.4.5',
    '1..2.3',
    '1.2.3.',
    '1.2.3.1000',
    '255.255.255.255',
    undefined,
    null,
  ]) {
    assert.equal(normaliseIp(raw), null, String(raw));
  }
});

test('networks contain what they should', () => {
  const n = parseNetwork('10.1.0.0/16');
  assert.ok(n);
  assert.equal(networkContains(n, '10.1.200.3'), true);
  assert.equal(networkContains(n, '10.2.0.1'), false);
  assert.equal(networkContains(n, '2001:db8::1'), false);
  const v6 = parseNetwork('2001:db8::/32');
  assert.ok(v6);
  assert.equal(networkContains(v6, '2001:db8:ffff::9'), true);
  assert.equal(networkContains(v6, '2001:db9::1'), false);
  assert.equal(parseNetwork('10.0.0.0/33'), null);
  assert.equal(parseNetwork('nonsense'), null);
});
