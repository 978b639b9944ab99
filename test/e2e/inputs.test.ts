import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../support/paths';
import { runCommand, startCollector, tempDir } from '../support/processes';
import { renewableCollectorFiles, testPki } from '../support/pki';

/** A real `openssl s_client` handshake against `address`; stdin closed, so it exits after it. */
function sClient(address: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const pki = testPki();
  return new Promise((resolve) => {
    const child = spawn(
      'openssl',
      [
        's_client',
        '-brief',
        '-connect',
        address,
        '-CAfile',
        pki.ca,
        '-cert',
        pki.admin.cert,
        '-key',
        pki.admin.key,
        '-alpn',
        'h2',
        ...args,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
    child.stdin.end();
  });
}

test('the collector offers TLS 1.2 with AEAD suites only, and TLS 1.3', async (t) => {
  const dir = tempDir('ciphers');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());

  await t.test("a CBC suite (ECDHE-ECDSA-AES128-SHA256, in Node's defaults) fails the handshake", async () => {
    const r = await sClient(collector.address, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA256']);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /handshake failure|no shared cipher|alert/i);
    const rsa = await sClient(collector.address, ['-tls1_2', '-cipher', 'AES128-SHA256']);
    assert.notEqual(rsa.code, 0, rsa.out);
  });

  await t.test('ECDHE-ECDSA with AES-GCM or ChaCha20-Poly1305 completes the handshake', async () => {
    for (const cipher of [
      'ECDHE-ECDSA-AES128-GCM-SHA256',
      'ECDHE-ECDSA-AES256-GCM-SHA384',
      'ECDHE-ECDSA-CHACHA20-POLY1305',
    ]) {
      const r = await sClient(collector.address, ['-tls1_2', '-cipher', cipher]);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, new RegExp(`Ciphersuite: ${cipher}`));
    }
    const v13 = await sClient(collector.address, ['-tls1_3']);
    assert.equal(v13.code, 0, v13.out);
    assert.match(v13.out, /Protocol version: TLSv1\.3/);
  });

  await t.test('a renewed certificate is served with the same suites (a reload must not reset them)', async () => {
    const pki = testPki();
    const sub = join(dir.path, 'reload');
    const files = renewableCollectorFiles(sub, 'cipher-a');
    const c2 = await startCollector(sub, { config: { tls: { ca: pki.ca, cert: files.cert, key: files.key } } });
    t.after(() => c2.daemon.stop());
    files.renew('cipher-b');
    let served = '';
    for (let i = 0; i < 40 && !served.includes('cipher-b'); i++) {
      await new Promise((r) => setTimeout(r, 500));
      served = (await sClient(c2.address, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256'])).out;
    }
    assert.match(served, /CN = cipher-b/, 'the renewed certificate is served');
    const cbc = await sClient(c2.address, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA256']);
    assert.notEqual(cbc.code, 0, cbc.out);
  });

  await t.test('TLS 1.1 is refused', async () => {
    const r = await sClient(collector.address, ['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']);
    assert.notEqual(r.code, 0, r.out);
  });
});

test('configs that would downgrade security stop the collector at start, with the fix', async (t) => {
  const dir = tempDir('inputs-config');
  t.after(dir.cleanup);
  const pki = testPki();
  const serve = async (
    name: string,
    config: Record<string, unknown>,
  ): Promise<{ code: number | null; stderr: string }> => {
    const sub = join(dir.path, name);
    mkdirSync(sub);
    writeFileSync(join(sub, 'ldap.pw'), 'secret\n', { mode: 0o600 });
    writeFileSync(join(sub, 'c.json'), JSON.stringify({ listen: '127.0.0.1:0', dataDir: 'data', ...config }));
    return runCommand(BIN.collector, ['serve', '--config', join(sub, 'c.json')]);
  };
  const tls = { ca: pki.ca, cert: pki.collector.cert, key: pki.collector.key };

  await t.test('an LDAP directory on plain ldap:// without StartTLS', async () => {
    const r = await serve('ldap', {
      tls,
      directories: [
        {
          domain: 'CORP',
          url: 'ldap://127.0.0.1:389',
          baseDn: 'DC=corp,DC=example',
          bindDn: 'CN=svc,DC=corp,DC=example',
          passwordFile: 'ldap.pw',
        },
      ],
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^fsso-collector: directories\[0\]\.url: ldap:\/\/127\.0\.0\.1:389 is plain LDAP without StartTLS, so the bind password would cross the network in clear; use ldaps:\/\/HOST:636, or set "startTls": true \(with "caFile"\), or "insecure": true for a lab \[FSSO_CONFIG_INVALID\]\n$/,
    );
    assert.doesNotMatch(r.stderr, /secret|\n\s+at /, 'no password, no stack trace');
  });

  await t.test('"insecure": true next to a tls block, in the file or as --insecure', async () => {
    const r = await serve('both', { tls, insecure: true });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^fsso-collector: insecure, tls: "insecure": true \(or --insecure\) and a "tls" block are both set; remove "insecure" to serve mutual TLS, or remove "tls" for a plaintext lab setup \[FSSO_CONFIG_INVALID\]\n$/,
    );
    const flag = await runCommand(BIN.collector, ['serve', '--insecure', '--config', join(dir.path, 'both', 'c.json')]);
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /insecure, tls: /);
  });

  await t.test('an insecure directory starts, with a warning naming the domain', async () => {
    const sub = join(dir.path, 'lab');
    mkdirSync(sub);
    writeFileSync(join(sub, 'ldap.pw'), 'secret\n', { mode: 0o600 });
    const c = await startCollector(sub, {
      config: {
        directories: [
          {
            domain: 'LAB',
            url: 'ldap://127.0.0.1:1',
            insecure: true,
            baseDn: 'DC=lab',
            bindDn: 'CN=svc,DC=lab',
            passwordFile: 'ldap.pw',
          },
        ],
      },
    });
    t.after(() => c.daemon.stop());
    const warn = await c.daemon.waitFor((l) => /LDAP bind password crosses the network in clear/.test(l.message ?? ''));
    assert.equal(warn.level, 'warn');
    assert.equal(warn['domain'], 'LAB');
  });
});
