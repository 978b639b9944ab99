import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@fsso/common';
import { resolveCollectorConfig } from '../src/config';
import { plaintextDirectories, validateDirectories, validateGroupSettings } from '../src/directory/config';

/** Runs `fn` and returns the ConfigError's field and message; fails if it does not throw one. */
function configError(fn: () => unknown): { field: string; message: string } {
  try {
    fn();
  } catch (err: unknown) {
    if (err instanceof ConfigError) return { field: err.field, message: err.message };
    throw err;
  }
  assert.fail('expected a ConfigError');
}

const tls = { ca: 'ca.pem', cert: 'c.pem', key: 'c.key' };

test('collector: "insecure": true with a tls block is an error naming both, not a silent downgrade', () => {
  const e = configError(() => resolveCollectorConfig({ insecure: true, tls }, '/etc/fsso'));
  assert.equal(e.field, 'insecure');
  assert.match(
    e.message,
    /^insecure, tls: .*remove "insecure" to serve mutual TLS, or remove "tls" for a plaintext lab setup$/,
  );
  // Each alone is fine.
  assert.equal(resolveCollectorConfig({ insecure: true }).insecure, true);
  assert.equal(resolveCollectorConfig({ tls }, '/etc/fsso').tls?.ca, '/etc/fsso/ca.pem');
  assert.equal(resolveCollectorConfig({ insecure: false, tls }, '/etc/fsso').insecure, false);
});

test('directories: a simple bind over plain ldap:// without StartTLS is refused with the fix', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsso-dircfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ldap.pw'), 'secret\n', { mode: 0o600 });
  const base = {
    domain: 'corp',
    baseDn: 'DC=corp,DC=example,DC=test',
    bindDn: 'CN=svc-fsso,CN=Users,DC=corp,DC=example,DC=test',
    passwordFile: 'ldap.pw',
  };
  const plain = configError(() => validateDirectories([{ ...base, url: 'ldap://dc1.corp.example.test' }], dir));
  assert.equal(plain.field, 'directories[0].url');
  assert.match(
    plain.message,
    /^directories\[0\]\.url: ldap:\/\/dc1\.corp\.example\.test is plain LDAP without StartTLS, so the bind password would cross the network in clear; use ldaps:\/\/HOST:636, or set "startTls": true \(with "caFile"\), or "insecure": true for a lab$/,
  );
  // One plain URL among several is enough to refuse; the field is the one written.
  const mixed = configError(() => validateDirectories([{ ...base, urls: ['ldaps://dc1:636', 'ldap://dc2:389'] }], dir));
  assert.equal(mixed.field, 'directories[0].urls');
  assert.match(mixed.message, /ldap:\/\/dc2:389 is plain LDAP/);

  const ok = validateDirectories(
    [
      { ...base, url: 'ldaps://dc1:636' },
      { ...base, domain: 'sales', url: 'ldap://dc2:389', startTls: true },
      { ...base, domain: 'lab', url: 'ldap://dc3:389', insecure: true },
    ],
    dir,
  );
  assert.deepEqual(
    ok.map((d) => [d.domain, d.startTls, d.insecure, d.password]),
    [
      ['CORP', false, false, 'secret'],
      ['SALES', true, false, 'secret'],
      ['LAB', false, true, 'secret'],
    ],
  );
  assert.deepEqual(plaintextDirectories(ok), ['LAB'], 'the insecure one is warned about at start');

  // insecure where nothing is plaintext would linger unnoticed: refused.
  const useless = configError(() => validateDirectories([{ ...base, url: 'ldaps://dc1:636', insecure: true }], dir));
  assert.equal(useless.field, 'directories[0].insecure');
  assert.match(useless.message, /uses ldaps:\/\/ already, so "insecure": true does nothing; remove it/);
  assert.equal(
    configError(() => validateDirectories([{ ...base, url: 'ldap://dc1', insecure: 'yes' }], dir)).field,
    'directories[0].insecure',
  );
});

test('groups: refreshAge defaults to a minute (or the TTL if shorter); one past the TTL, or a TTL under a second, is an error naming the field and the fix', () => {
  assert.deepEqual(validateGroupSettings(undefined), { ttlMs: 900_000, refreshAgeMs: 60_000, filter: [] });
  assert.equal(validateGroupSettings({ ttl: '20s' }).refreshAgeMs, 20_000);
  assert.equal(validateGroupSettings({ ttl: '15m', refreshAge: '30s' }).refreshAgeMs, 30_000);
  assert.throws(
    () => validateGroupSettings({ ttl: '1m', refreshAge: '5m' }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.field === 'groups.refreshAge' &&
      /longer than groups\.ttl .*e\.g\. "1m"/.test(e.message),
  );
  assert.throws(
    () => validateGroupSettings({ ttl: '100ms' }),
    (e: unknown) => e instanceof ConfigError && e.field === 'groups.ttl' && /"1s" or more/.test(e.message),
  );
  assert.throws(
    () => validateGroupSettings({ refreshAge: true }),
    (e: unknown) => e instanceof ConfigError && e.field === 'groups.refreshAge',
  );
  assert.throws(
    () => validateGroupSettings({ refresh: '1m' }),
    (e: unknown) => e instanceof ConfigError && /refresh/.test(e.message),
  );
});

test('collector: a wrong type is an error naming the field, never a silent "none" (verify, onDemand, dnsServers, limits, domains)', () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [
      { identity: { verify: { networks: '10.0.0.0/8' } } },
      'identity.verify.networks',
      /expected a list like \["10\.0\.0\.0\/8"\], not "10\.0\.0\.0\/8"/,
    ],
    [{ identity: { onDemand: { networks: '10.0.0.0/8' } } }, 'identity.onDemand.networks', /expected a list/],
    [
      { identity: { onDemand: { networks: ['10.0.0.0/8'], dnsServers: '127.0.0.53' } } },
      'identity.onDemand.dnsServers',
      /expected a list/,
    ],
    [{ identity: { verify: { dnsServers: [53] } } }, 'identity.verify.dnsServers[0]', /expected a string/],
    [{ identity: { onDemand: [] } }, 'identity.onDemand', /expected an object/],
    [{ identity: [] }, 'identity', /expected an object/],
    [{ limits: [] }, 'limits', /expected an object/],
    [{ domains: ['CORP'] }, 'domains', /expected an object mapping NetBIOS names to DNS names/],
    [{ domains: { 'CORP.X': 'corp.x' } }, 'domains.CORP.X', /is not a NetBIOS domain name/],
    [{ agents: [{ id: 'dhcp1', networks: '10.1.0.0/16' }] }, 'agents[0].networks', /expected a list of networks/],
    [
      {
        agents: [
          { id: 'a', networks: [] },
          { id: 'a', networks: [] },
        ],
      },
      'agents[1].id',
      /listed twice/,
    ],
  ];
  for (const [over, field, message] of cases) {
    const e = configError(() => resolveCollectorConfig({ insecure: true, ...over }));
    assert.equal(e.field, field, JSON.stringify(over));
    assert.match(e.message, message, JSON.stringify(over));
  }
  // The right types still work, and the directory pairs and the domains map make one name table.
  const ok = resolveCollectorConfig({
    insecure: true,
    domains: { CORP: 'corp.example.test', SALES: ['sales.example.test', 'sales.example'] },
    agents: [{ id: 'dhcp1', networks: ['198.18.0.0/15'] }],
  });
  assert.equal(ok.identity.domains.canonical('sales.example'), 'SALES');
  assert.equal(ok.identity.domains.same('CORP', 'CORP.EVIL.COM'), false);
  assert.equal(ok.agentNetworks.get('dhcp1')?.length, 1);
  assert.equal(ok.identity.maxEntriesPerDomain, ok.limits.maxEntriesPerDomain);
});
