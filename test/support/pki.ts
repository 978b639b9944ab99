import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caPaths, initCa, issueCert, type Issued, type Role } from '@fsso/common';

export interface TestPki {
  dir: string;
  ca: string;
  collector: Issued;
  agent: Issued;
  admin: Issued;
  firewall: Issued;
  /** Issues another certificate from the same CA. */
  issue(role: Role, name: string, domains?: string[]): Issued;
}

let cached: TestPki | undefined;

/**
 * A private CA and one certificate per role, made once per test process with the same code as
 * `fssoctl pki` (system openssl), so tests run on the secure default path. Removed at exit.
 */
export function testPki(): TestPki {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'fsso-pki-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const ca = initCa(dir, 'FSSO test CA');
  const issue = (role: Role, name: string, domains?: string[]): Issued =>
    issueCert(ca, { role, name, domains, ips: role === 'collector' ? ['127.0.0.1'] : [], out: `${role}-${name}` });
  cached = {
    dir,
    ca: caPaths(dir).cert,
    issue,
    collector: issue('collector', 'localhost'),
    agent: issue('agent', 'dc1', ['*']),
    admin: issue('admin', 'operator'),
    firewall: issue('firewall', 'fw1'),
  };
  return cached;
}

/**
 * A collector certificate in files of its own under `dir` (copies, key 0600), for tests that
 * renew it in place: `renew(name)` writes a newly issued certificate and key over the files.
 */
export function renewableCollectorFiles(
  dir: string,
  name: string,
): { cert: string; key: string; first: Issued; renew(name: string): Issued } {
  const pki = testPki();
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, 'collector.pem');
  const key = join(dir, 'collector.key');
  const write = (from: Issued): Issued => {
    writeFileSync(cert, readFileSync(from.cert));
    writeFileSync(key, readFileSync(from.key), { mode: 0o600 });
    return from;
  };
  const first = write(pki.issue('collector', name));
  return { cert, key, first, renew: (n) => write(pki.issue('collector', n)) };
}

/**
 * A certificate from our CA with extensions `fssoctl pki issue` would never write: what a
 * misissued or stolen non-collector certificate looks like. Made with openssl, as the CA is.
 */
export function handMadeCertificate(dir: string, name: string, extensions: string): Issued {
  const ca = caPaths(testPki().dir);
  const base = join(dir, name);
  const run = (args: string[]): void => void execFileSync('openssl', args, { stdio: 'pipe' });
  run([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${base}.key`,
    '-out',
    `${base}.csr`,
    '-subj',
    `/CN=${name}/O=FSSO`,
  ]);
  chmodSync(`${base}.key`, 0o600);
  writeFileSync(
    `${base}.cnf`,
    `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n${extensions}\n`,
  );
  run([
    'x509',
    '-req',
    '-in',
    `${base}.csr`,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    `${base}.pem`,
    '-days',
    '30',
    '-extfile',
    `${base}.cnf`,
  ]);
  return { cert: `${base}.pem`, key: `${base}.key` };
}
