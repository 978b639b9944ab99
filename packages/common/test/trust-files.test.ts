import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../src/errors';
import { caPaths, initCa, issueCert } from '../src/pki/openssl';
import { CheckedFileCertificateProvider } from '../src/wire/trust-files';

test('the certificate provider hands on a renewal only when the files are private and the key fits', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsso-trust-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = initCa(join(dir, 'pki'), 'Unit CA');
  const a = issueCert(caPaths(ca.dir), { role: 'collector', name: 'a.example' });
  const b = issueCert(caPaths(ca.dir), { role: 'collector', name: 'b.example' });
  const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'c.pem'), key: join(dir, 'c.key') };
  copyFileSync(ca.cert, files.ca);
  copyFileSync(a.cert, files.cert);
  copyFileSync(a.key, files.key);
  chmodSync(files.key, 0o600);

  const refused: string[] = [];
  let reloads = 0;
  const p = new CheckedFileCertificateProvider(files, 60_000, {
    refused: (reason, _file, field) => refused.push(`${field}: ${reason}`),
    reloaded: () => reloads++,
  });
  const served: Buffer[] = [];
  const listener = (u: { certificate: Buffer } | null): void => void (u && served.push(u.certificate));
  p.addIdentityCertificateListener(listener);
  t.after(() => p.removeIdentityCertificateListener(listener));

  assert.equal(p.refresh(), false, 'nothing changed');
  // A renewal caught half way: the new certificate is in place, its key not yet.
  copyFileSync(b.cert, files.cert);
  assert.equal(p.refresh(), false);
  assert.equal(p.refresh(), false);
  assert.deepEqual(
    refused,
    [`tls.key: ${files.key} is not the key of ${files.cert}; replace both files together`],
    'reported once',
  );
  copyFileSync(b.key, files.key);
  assert.equal(p.refresh(), true, 'both in place: handed on');
  assert.equal(reloads, 1);
  assert.ok(served.at(-1)?.equals(readFileSync(b.cert)));

  chmodSync(files.ca, 0o664);
  assert.equal(p.refresh(), false);
  assert.match(
    refused.at(-1) ?? '',
    /^tls\.ca: .*ca\.pem can be changed by other users \(mode 0664: its group can write it\); run 'chmod go-w .*ca\.pem'$/,
  );
  chmodSync(files.ca, 0o644);

  chmodSync(files.cert, 0o666);
  assert.throws(
    () => new CheckedFileCertificateProvider(files, 60_000, { refused: () => undefined, reloaded: () => undefined }),
    (e: unknown) => e instanceof ConfigError && e.field === 'tls.cert' && /chmod go-w/.test(e.message),
  );
});
