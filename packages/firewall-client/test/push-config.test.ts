import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@fsso/common';
import { validatePushConfig } from '../src/push/config';
import { panosOutcome, uidMessage } from '../src/push/panos';
import { classValues } from '../src/push/rsso';

const dir = mkdtempSync(join(tmpdir(), 'fsso-push-config-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 's'), 'x\n', { mode: 0o600 });
const rsso = { name: 'f', kind: 'fortigate-rsso', address: '10.0.0.1', secret: { file: 's' } };

function refused(targets: unknown[], message: RegExp, env: NodeJS.ProcessEnv = {}): void {
  assert.throws(
    () => validatePushConfig({ targets }, dir, env),
    (e: unknown) => e instanceof ConfigError && message.test(e.message),
  );
}

test('push config: defaults per kind, the port of RSSO, the secret from a file without its newline', () => {
  const c = validatePushConfig({ targets: [rsso] }, dir, {});
  const t = c.targets[0];
  assert.equal(t?.address, '10.0.0.1:1813');
  assert.equal(t?.secret, 'x');
  assert.equal(t?.timeoutMs, 8 * 3_600_000);
  assert.equal(t?.response, false);
  assert.equal(c.statusFile, join(dir, 'data', 'push-status.json'));
});

test('push config: mistakes name the field and the fix', () => {
  refused(
    [{ ...rsso, secret: 'inline' }],
    /targets\[0\]\.secret: a secret is not written in the config; give \{"file"/,
  );
  refused([{ ...rsso, secret: { env: 'NOPE' } }], /secret\.env: the environment variable NOPE is not set/);
  refused([{ ...rsso, kind: 'sonicwall' }], /kind: "sonicwall"; use one of fortigate-rsso, panos, checkpoint, webhook/);
  refused([rsso, rsso], /targets\[1\]\.name: "f" is used twice/);
  refused(
    [{ name: 'p', kind: 'panos', address: 'https://fw', secret: { file: 's' } }],
    /targets\[0\]\.tls: missing; give \{"ca": "FILE"\}/,
  );
  refused([{ name: 'p', kind: 'panos', address: 'http://fw', secret: { file: 's' } }], /is not an https:\/\/ URL/);
  refused(
    [{ name: 'p', kind: 'panos', address: 'https://fw', secret: { file: 's' }, tls: { ca: 's' }, concurrency: 6 }],
    /concurrency: expected a whole number from 1 to 5/,
  );
  refused([{ ...rsso, networks: ['10.0.0.0/33'] }], /networks\[0\]: "10\.0\.0\.0\/33" is not a network/);
  refused([{ ...rsso, verify: false }], /targets\[0\]\.verify: unknown setting/);
  refused(
    [{ name: 'w', kind: 'webhook', address: 'https://h', tls: { ca: 'x' }, ipv6: true }],
    /ipv6: only fortigate-rsso/,
  );
});

test('PAN-OS: one uid-message with login (timeout in whole minutes), logout and group tags; documented errors', () => {
  const alice = { ip: '10.1.1.1', user: 'alice', domain: 'CORP', groups: ['VPN', 'Staff'] };
  const xml = uidMessage(
    [
      { op: 'login', id: alice, prev: { ...alice, groups: ['VPN', 'Old'] } },
      { op: 'logout', id: { ip: '10.1.1.2', user: 'b<o>b', domain: 'CORP', groups: [] } },
    ],
    90_000,
  );
  assert.match(xml, /<login><entry name="CORP\\alice" ip="10\.1\.1\.1" timeout="2"\/><\/login>/);
  assert.match(xml, /<logout><entry name="CORP\\b&#60;o&#62;b" ip="10\.1\.1\.2"\/><\/logout>/);
  assert.match(xml, /<unregister-user><entry user="CORP\\alice"><tag><member>Old<\/member><\/tag>/);
  assert.deepEqual(panosOutcome(200, '<response status="success"><result/></response>', []), { status: 'success' });
  const auth = panosOutcome(
    403,
    '<response status="error" code="403"><result><msg>Invalid Credential</msg></result></response>',
    [],
  );
  assert.equal(auth.status, 'retryable');
  assert.match(
    auth.status === 'retryable' ? auth.error : '',
    /refused the API key \(403: Invalid Credential\).*User-ID Agent/,
  );
  const bad = panosOutcome(200, '<response status="error" code="18"><msg><line>bad ip</line></msg></response>', [
    { op: 'logout', id: alice },
  ]);
  assert.deepEqual(bad, {
    status: 'success',
    rejected: [{ ip: '10.1.1.1', error: 'PAN-OS refused the update (code 18: bad ip)' }],
  });
});

test('RSSO Class: groups joined by the delimiter, split over attributes of at most 253 octets', () => {
  assert.deepEqual(classValues(['a', 'b'], ',').map(String), ['a,b']);
  const long = Array.from({ length: 30 }, (_, i) => `CORP\\Group-${String(i).padStart(2, '0')}`);
  const parts = classValues(long, ',');
  assert.ok(parts.length > 1 && parts.every((p) => p.length <= 253));
  assert.deepEqual(parts.map(String).join(',').split(','), long);
});
