import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../src/cli/run';
import {
  VALIDITY,
  isDnsName,
  validateCertName,
  validateDays,
  validateDomain,
  validateAgentId,
  validateDnsName,
  validateIp,
} from '../src/pki/names';
import { extensionConfig, planCertificate } from '../src/pki/openssl';

const usage =
  (re: RegExp) =>
  (err: unknown): boolean =>
    err instanceof UsageError && re.test(err.message);

test('host names follow RFC 1123; anything openssl could read as structure is refused', () => {
  for (const ok of ['fw1', 'collector.corp.example', 'a-b.c', '1fw.corp', 'x'.repeat(63), 'dc1.corp.example.'])
    assert.ok(isDnsName(ok), ok);
  for (const bad of [
    'fw9,URI:urn:fsso:role:admin',
    'fw9\nDNS.2 = evil',
    'a b',
    'a=b',
    '-fw',
    'fw-',
    'a..b',
    '',
    '*.corp.example',
    'x'.repeat(64),
    '1.2.3.4.5',
    'fw/1',
    'fw:1',
    'ü.example',
    'a\u0000b',
  ]) {
    assert.equal(isDnsName(bad), false, JSON.stringify(bad));
  }
  assert.throws(
    () => validateDnsName('fw9,URI:urn:fsso:role:admin'),
    usage(
      /^--dns "fw9,URI:urn:fsso:role:admin" is not a host name .*: it contains ','; give one per --dns, e\.g\. --dns collector\.corp\.example$/,
    ),
  );
  assert.throws(
    () => validateCertName('fw9\nsubjectAltName=URI:x'),
    usage(
      /^--name "fw9\\nsubjectAltName=URI:x" is not a host name or an IP address: it contains a control character \(U\+000a\)/,
    ),
  );
  assert.throws(() => validateDnsName('fw 9'), usage(/it contains whitespace/));
});

test('a name is a DNS SAN, an address an IP SAN; IPs are what node:net reads as one', () => {
  assert.deepEqual(validateCertName('dc1.corp.example'), { name: 'dc1.corp.example', san: 'DNS' });
  assert.deepEqual(validateCertName('10.0.0.5'), { name: '10.0.0.5', san: 'IP' });
  assert.deepEqual(validateCertName('fd00::5'), { name: 'fd00::5', san: 'IP' });
  assert.equal(validateIp('::1'), '::1');
  for (const bad of ['10.0.0.256', '10.0.0.5,URI:x', '10.0.0.5/24', 'fd00::5%eth0,DNS:x', 'localhost'])
    assert.throws(() => validateIp(bad), usage(/^--ip .* is not an IPv4 or IPv6 address/), bad);
});

test('domains: NetBIOS, DNS or *, upper-cased', () => {
  assert.equal(validateDomain('corp'), 'CORP');
  assert.equal(validateDomain('corp.example'), 'CORP.EXAMPLE');
  assert.equal(validateDomain('*'), '*');
  assert.equal(validateDomain('MY_DOM'), 'MY_DOM');
  for (const bad of ['CORP,URI:urn:fsso:role:admin', 'CORP\n', 'C:ORP', 'a=b', '**', 'CORP/X', ''])
    assert.throws(() => validateDomain(bad), usage(/^--domain .* is not a domain/), JSON.stringify(bad));
});

test('agent ids: [A-Za-z0-9][A-Za-z0-9._@-]{0,127}', () => {
  assert.equal(validateAgentId('dc1@corp.example'), 'dc1@corp.example');
  for (const bad of ['.dc1', 'dc 1', 'dc1,URI:x', 'a'.repeat(129), 'dc1:2'])
    assert.throws(() => validateAgentId(bad), usage(/^--agent-id /), bad);
});

test('--days: a whole number from 1 to the maximum; defaults per kind', () => {
  assert.equal(validateDays(undefined, VALIDITY.client), 365);
  assert.equal(validateDays(undefined, VALIDITY.collector), 825);
  assert.equal(validateDays(undefined, VALIDITY.ca), 3650);
  assert.equal(validateDays('30', VALIDITY.client), 30);
  assert.equal(validateDays(825, VALIDITY.client), 825);
  for (const bad of ['-1', '0', '100000', '826', '1.5', '1e3', 'abc', '', ' ', '0x10']) {
    assert.throws(
      () => validateDays(bad, VALIDITY.client),
      usage(/^--days .*: give a whole number of days from 1 to 825 \(default 365\)/),
      JSON.stringify(bad),
    );
  }
  assert.throws(() => validateDays(-1, VALIDITY.client), UsageError);
  assert.throws(() => validateDays(100_000, VALIDITY.ca), usage(/from 1 to 7300/));
});

test('the extension file has one SAN per line in [alt_names], never a joined list', () => {
  const plan = planCertificate({
    role: 'agent',
    name: 'dc1.corp.example',
    domains: ['corp', '*', 'corp'],
    ips: ['10.0.0.5'],
    dns: ['dc1', 'dc1.corp.example'],
  });
  assert.deepEqual(plan.san, {
    uris: ['urn:fsso:role:agent', 'urn:fsso:domain:CORP', 'urn:fsso:domain:*', 'urn:fsso:agent:dc1.corp.example'],
    dns: ['dc1', 'dc1.corp.example'],
    ips: ['10.0.0.5'],
  });
  assert.equal(plan.days, 365);
  const ext = extensionConfig('agent', plan.san);
  assert.match(ext, /^subjectAltName = @alt_names$/m);
  assert.match(
    ext,
    /^\[alt_names\]\nURI\.1 = urn:fsso:role:agent\nURI\.2 = urn:fsso:domain:CORP\nURI\.3 = urn:fsso:domain:\*\nURI\.4 = urn:fsso:agent:dc1\.corp\.example\nDNS\.1 = dc1\nDNS\.2 = dc1\.corp\.example\nIP\.1 = 10\.0\.0\.5\n$/m,
  );
  assert.match(extensionConfig('collector', plan.san), /^extendedKeyUsage = serverAuth,clientAuth$/m);
  assert.match(ext, /^extendedKeyUsage = clientAuth$/m);
});

test('planCertificate: the agent id defaults to the name, and is only for agents; domains only for agents', () => {
  assert.ok(
    planCertificate({ role: 'agent', name: 'dc1', domains: ['CORP'], agentId: 'dc-one' }).san.uris.includes(
      'urn:fsso:agent:dc-one',
    ),
  );
  assert.equal(
    planCertificate({ role: 'firewall', name: 'fw1' }).san.uris.some((u) => u.startsWith('urn:fsso:agent:')),
    false,
  );
  assert.equal(planCertificate({ role: 'collector', name: 'localhost' }).days, 825);
  assert.throws(() => planCertificate({ role: 'agent', name: 'dc1' }), usage(/add --domain CORP/));
  assert.throws(() => planCertificate({ role: 'proxy', name: 'proxy1' }), usage(/whose users it may vouch for/));
  assert.ok(
    planCertificate({ role: 'proxy', name: 'proxy1', domains: ['CORP'] }).san.uris.includes('urn:fsso:domain:CORP'),
  );
  assert.throws(
    () => planCertificate({ role: 'firewall', name: 'fw1', domains: ['CORP'] }),
    usage(/--domain is for agent and proxy certificates/),
  );
  assert.throws(
    () => planCertificate({ role: 'admin', name: 'ops', agentId: 'x' }),
    usage(/--agent-id is for agent certificates/),
  );
  assert.throws(
    () => planCertificate({ role: 'agent', name: 'fd00::5', domains: ['CORP'] }),
    usage(/^--name \(the agent id by default; or pass --agent-id\)/),
  );
  assert.throws(() => planCertificate({ role: 'firewall', name: 'fw1', out: '../etc/x' }), usage(/^--out /));
  assert.throws(() => planCertificate({ role: 'admin' as 'agent', name: 'ops', days: '0' }), usage(/^--days "0"/));
});
