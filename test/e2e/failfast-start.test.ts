import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../support/paths';
import { runCommand, tempDir } from '../support/processes';
import { testPki } from '../support/pki';

/*
 * The collector fails fast with one clear line: every bad start below exits non-zero by itself
 * (no hang, no stack trace), and stderr names the file and the fix. Real binary, real files.
 */

/** Writes a collector config into `dir` and runs `serve` to its end (runCommand waits for the exit). */
async function serve(
  dir: string,
  extra: Record<string, unknown>,
  args: string[] = [],
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const pki = testPki();
  const configPath = join(dir, `collector-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    configPath,
    JSON.stringify({
      listen: '127.0.0.1:0',
      tls: { ca: pki.ca, cert: pki.collector.cert, key: pki.collector.key },
      dataDir: 'data',
      log: { format: 'json', level: 'info' },
      ...extra,
    }),
  );
  return runCommand(BIN.collector, ['serve', '--config', configPath, ...args]);
}

/** One line on stderr, no stack frames ("    at "), naming what the test expects. */
function assertOneLine(stderr: string, ...parts: (string | RegExp)[]): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${stderr}`);
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
  for (const p of parts)
    assert.match(lines[0] ?? '', typeof p === 'string' ? new RegExp(p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : p);
}

test('a certificate and key swapped in the config stop the start with one line that says so', async (t) => {
  const dir = tempDir('ff-swap');
  t.after(dir.cleanup);
  const pki = testPki();
  const r = await serve(dir.path, { tls: { ca: pki.ca, cert: pki.collector.key, key: pki.collector.cert } });
  assert.equal(r.code, 1);
  assertOneLine(
    r.stderr,
    'tls.cert',
    pki.collector.key,
    'holds a private key, not a certificate',
    'swapped',
    '[FSSO_CERT_INVALID]',
  );
});

test('a key that is not the certificate\'s stops the start (no "listening" and failing handshakes)', async (t) => {
  const dir = tempDir('ff-pair');
  t.after(dir.cleanup);
  const pki = testPki();
  const r = await serve(dir.path, { tls: { ca: pki.ca, cert: pki.collector.cert, key: pki.agent.key } });
  assert.equal(r.code, 1);
  assertOneLine(
    r.stderr,
    'tls.key',
    `${pki.agent.key} is not the key of ${pki.collector.cert}`,
    'replace both together',
  );
  assert.doesNotMatch(r.stdout, /collector listening/);
});

test('a data folder under a file is a clear error naming the file', async (t) => {
  const dir = tempDir('ff-underfile');
  t.after(dir.cleanup);
  writeFileSync(join(dir.path, 'afile'), 'x');
  const r = await serve(dir.path, { dataDir: 'afile/sub' });
  assert.equal(r.code, 1);
  assertOneLine(
    r.stderr,
    `${join(dir.path, 'afile')} is a file, not a folder`,
    'set "dataDir" to a folder',
    '[FSSO_DB_OPEN]',
  );
  assert.equal(readFileSync(join(dir.path, 'afile'), 'utf8'), 'x');
});

test('a database file that is not SQLite is named, refused and left untouched', async (t) => {
  const dir = tempDir('ff-notsqlite');
  t.after(dir.cleanup);
  mkdirSync(join(dir.path, 'data'));
  const db = join(dir.path, 'data', 'collector.db');
  const text = 'these are my notes, not a database\n'.repeat(200);
  writeFileSync(db, text);
  const r = await serve(dir.path, {});
  assert.equal(r.code, 1);
  assertOneLine(r.stderr, `the database ${db} is not an SQLite database`, 'left untouched', '[FSSO_DB_NOT_SQLITE]');
  assert.equal(readFileSync(db, 'utf8'), text, 'the file is exactly as it was');
  assert.deepEqual(readdirSync(join(dir.path, 'data')), ['collector.db'], 'no -wal or -shm file was made beside it');
});

test('a data folder that cannot be created (dataDir: /proc/x) exits at once instead of spinning', async (t) => {
  const dir = tempDir('ff-proc');
  t.after(dir.cleanup);
  const r = await serve(dir.path, { dataDir: '/proc/fsso-test-x' });
  assert.equal(r.code, 1);
  assertOneLine(r.stderr, '/proc/fsso-test-x cannot be created', 'set "dataDir"');
  assert.equal(existsSync('/proc/fsso-test-x'), false);
});

test('ordinary mistakes in the CLIs print one line and exit by class; the stack only with --debug', async (t) => {
  const dir = tempDir('ff-cli');
  t.after(dir.cleanup);
  const pki = testPki();
  const missing = join(dir.path, 'nope.pem');
  const show = await runCommand(BIN.ctl, ['pki', 'show', missing]);
  assert.equal(show.code, 3, 'a missing file is "not found"');
  assertOneLine(show.stderr, `cannot use ${missing}: no such file or folder`, '[FSSO_NOT_FOUND]');
  const key = await runCommand(BIN.ctl, ['pki', 'show', pki.agent.key]);
  assert.equal(key.code, 1);
  assertOneLine(key.stderr, `${pki.agent.key} holds a private key, not a certificate`);
  const sim = await runCommand(BIN.collector, ['simulate', '--format', 'events', join(dir.path, 'nope.jsonl')]);
  assert.equal(sim.code, 3);
  assertOneLine(sim.stderr, 'nope.jsonl: no such file or folder');
  const usage = await runCommand(BIN.collector, ['serve']);
  assert.equal(usage.code, 2, 'usage errors exit 2');
  // Client certificate and key swapped on the command line: one line, before any connection.
  const swapped = await runCommand(BIN.ctl, [
    'stats',
    '--collector',
    '127.0.0.1:1',
    '--ca',
    pki.ca,
    '--cert',
    pki.admin.key,
    '--key',
    pki.admin.cert,
  ]);
  assert.equal(swapped.code, 1);
  assertOneLine(swapped.stderr, '--cert: ', 'holds a private key, not a certificate');
  const debug = await runCommand(BIN.ctl, ['pki', 'show', pki.agent.key, '--debug']);
  assert.match(debug.stderr, /^\s+at /m, '--debug adds the stack');
});
