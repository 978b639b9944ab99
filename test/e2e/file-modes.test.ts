import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { caPaths, initCa, issueCert } from '@fsso/common';
import { BIN } from '../support/paths';
import { Daemon, runCommand, startCollector, tempDir } from '../support/processes';
import { testPki } from '../support/pki';

const mode = (p: string): string => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One of our daemons started from a shell with `umask 000`. Stopped by pid through Daemon. */
function startUmask000(name: string, bin: string, args: string[]): Daemon {
  return new Daemon(
    name,
    spawn('sh', ['-c', 'umask 000; exec "$0" "$@"', process.execPath, bin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** Waits (bounded) until `file` exists and `ok` holds for its text. */
async function waitForFile(file: string, ok: (text: string) => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (existsSync(file) && ok(readFileSync(file, 'utf8'))) return;
    await sleep(100);
  }
  assert.fail(`${what}: ${file} ${existsSync(file) ? readFileSync(file, 'utf8').slice(-500) : 'missing'}`);
}

test('CA, certificate and key files that other users can change are refused, at start and at reload', async (t) => {
  const dir = tempDir('file-modes');
  t.after(dir.cleanup);
  const pki = testPki();
  // The collector's own copies, so the test can change them.
  const tlsDir = join(dir.path, 'tls');
  mkdirSync(tlsDir, { mode: 0o700 });
  const tls = { ca: join(tlsDir, 'ca.pem'), cert: join(tlsDir, 'collector.pem'), key: join(tlsDir, 'collector.key') };
  copyFileSync(pki.ca, tls.ca);
  copyFileSync(pki.collector.cert, tls.cert);
  copyFileSync(pki.collector.key, tls.key);
  chmodSync(tls.key, 0o600);
  // An attacker's CA and an admin certificate from it.
  const foreignDir = join(dir.path, 'foreign');
  mkdirSync(foreignDir);
  const foreign = initCa(foreignDir, 'Evil CA');
  const evil = issueCert(caPaths(foreignDir), { role: 'admin', name: 'mallory' });

  for (const [field, file] of [
    ['tls.ca', tls.ca],
    ['tls.cert', tls.cert],
    ['tls.key', tls.key],
  ] as const) {
    await t.test(
      `a collector whose ${field} is world-writable does not start, and says which file and how to fix it`,
      async () => {
        const cfgDir = join(dir.path, `start-${field}`);
        mkdirSync(cfgDir);
        writeFileSync(
          join(cfgDir, 'c.json'),
          JSON.stringify({ listen: '127.0.0.1:0', tls, dataDir: 'data', log: { format: 'json' } }),
        );
        const before = statSync(file).mode & 0o777;
        chmodSync(file, 0o666);
        try {
          const r = await runCommand(BIN.collector, ['serve', '--config', join(cfgDir, 'c.json')]);
          assert.equal(r.code, 1, r.stderr);
          assert.equal(
            r.stderr.trim(),
            `fsso-collector: ${field}: ${file} can be changed by other users (mode 0666: every user can write it); run 'chmod go-w ${file}' [FSSO_CONFIG_INVALID]`,
          );
        } finally {
          chmodSync(file, before);
        }
      },
    );
  }

  await t.test('a folder that others can write (no sticky bit) is refused too', async () => {
    const cfgDir = join(dir.path, 'start-dir');
    mkdirSync(cfgDir);
    writeFileSync(
      join(cfgDir, 'c.json'),
      JSON.stringify({ listen: '127.0.0.1:0', tls, dataDir: 'data', log: { format: 'json' } }),
    );
    chmodSync(tlsDir, 0o777);
    try {
      const r = await runCommand(BIN.collector, ['serve', '--config', join(cfgDir, 'c.json')]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(
          `tls\\.ca: ${tls.ca} is in ${tlsDir}, which other users can write \\(mode 0777: every user can write it\\), so they can replace it; run 'chmod go-w ${tlsDir}'`,
        ),
      );
    } finally {
      chmodSync(tlsDir, 0o700);
    }
  });

  await t.test('a DC agent whose key is group-writable does not start', async () => {
    const aDir = join(dir.path, 'agent-start');
    mkdirSync(aDir);
    const key = join(aDir, 'agent.key');
    copyFileSync(pki.agent.key, key);
    chmodSync(key, 0o620);
    writeFileSync(
      join(aDir, 'a.json'),
      JSON.stringify({
        agentId: 'dc1',
        dataDir: 'data',
        tls: { ca: pki.ca, cert: pki.agent.cert, key },
        collectors: [{ name: 'main', address: '127.0.0.1:9' }],
        sources: [{ format: 'windows-xml', path: 'events.xml' }],
      }),
    );
    const r = await runCommand(BIN.agent, ['run', '--config', join(aDir, 'a.json')]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `collectors\\[0\\]\\.tls\\.key: ${key} can be changed by other users \\(mode 0620: its group can write it\\); run 'chmod go-w ${key}' \\[FSSO_CONFIG_INVALID\\]`,
      ),
    );
  });

  await t.test('a client (fssoctl) refuses a world-writable --ca as well', async () => {
    const ca = join(dir.path, 'cli-ca.pem');
    copyFileSync(pki.ca, ca);
    chmodSync(ca, 0o646);
    const r = await runCommand(BIN.ctl, [
      'stats',
      '--collector',
      '127.0.0.1:9',
      '--ca',
      ca,
      '--cert',
      pki.admin.cert,
      '--key',
      pki.admin.key,
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `${ca} can be changed by other users \\(mode 0646: every user can write it\\); run 'chmod go-w ${ca}'`,
      ),
    );
  });

  await t.test(
    'a CA file made world-writable and given a foreign CA is not reloaded: the foreign admin stays out, ours stays in',
    async () => {
      mkdirSync(join(dir.path, 'running'));
      const c = await startCollector(join(dir.path, 'running'), { config: { tls } });
      t.after(() => c.daemon.stop());
      const asEvil = [
        'stats',
        '--json',
        '--collector',
        c.address,
        '--ca',
        pki.ca,
        '--cert',
        evil.cert,
        '--key',
        evil.key,
      ];
      const refusedBefore = await runCommand(BIN.ctl, asEvil);
      assert.equal(refusedBefore.code, 1, 'the foreign admin is refused to begin with');

      chmodSync(tls.ca, 0o666);
      appendFileSync(tls.ca, readFileSync(foreign.cert));
      const warned = await c.daemon.waitFor(
        (l) => l.message === 'TLS files not reloaded; still using the previous ones',
        15_000,
      );
      assert.equal(warned.level, 'warn');
      assert.equal(warned['field'], 'tls.ca');
      assert.equal(warned['file'], tls.ca);
      assert.equal(
        warned['reason'],
        `${tls.ca} can be changed by other users (mode 0666: every user can write it); run 'chmod go-w ${tls.ca}'`,
      );
      await sleep(6_500); // more than one reload interval (5 s) after the warning
      const refused = await runCommand(BIN.ctl, asEvil);
      assert.equal(refused.code, 1, `the foreign admin is still refused: ${refused.stdout}`);
      const ours = await runCommand(BIN.ctl, ['stats', '--json', ...c.args('admin')]);
      assert.equal(ours.code, 0, ours.stderr);
      assert.equal(
        c.daemon.lines.filter((l) => l.message === 'TLS files not reloaded; still using the previous ones').length,
        1,
        'warned once, not every 5 s',
      );

      // The mode was the only reason: once the operator makes the file private again, its
      // (now approved) content is loaded like any renewal.
      chmodSync(tls.ca, 0o644);
      await c.daemon.waitFor((l) => l.message === 'TLS files reloaded', 15_000);
      assert.equal(
        (await runCommand(BIN.ctl, asEvil)).code,
        0,
        'the appended CA is trusted once the operator owns the change',
      );
    },
  );
});

test('database, spool and log files are 0600 under umask 000', async (t) => {
  const dir = tempDir('private-files');
  t.after(dir.cleanup);
  const pki = testPki();
  const cDir = join(dir.path, 'collector');
  mkdirSync(cDir);
  const cLog = join(cDir, 'logs', 'collector.log');
  writeFileSync(
    join(cDir, 'c.json'),
    JSON.stringify({
      listen: '127.0.0.1:0',
      tls: { ca: pki.ca, cert: pki.collector.cert, key: pki.collector.key },
      dataDir: 'data',
      log: { file: cLog },
    }),
  );
  const collector = startUmask000('collector', BIN.collector, ['serve', '--config', join(cDir, 'c.json')]);
  t.after(() => collector.stop());
  await waitForFile(cLog, (s) => s.includes('collector listening'), 'collector start');
  const port = Number(
    (
      JSON.parse(
        readFileSync(cLog, 'utf8')
          .split('\n')
          .find((l) => l.includes('collector listening')) ?? '{}',
      ) as { port?: number }
    ).port,
  );

  const aDir = join(dir.path, 'agent');
  mkdirSync(aDir);
  writeFileSync(join(aDir, 'events.xml'), '');
  const aLog = join(aDir, 'agent.log');
  writeFileSync(
    join(aDir, 'a.json'),
    JSON.stringify({
      agentId: 'dc1',
      dataDir: 'spool-data',
      log: { file: aLog },
      tls: { ca: pki.ca, cert: pki.agent.cert, key: pki.agent.key },
      collectors: [{ name: 'main', address: `127.0.0.1:${port}` }],
      sources: [{ format: 'windows-xml', path: 'events.xml' }],
    }),
  );
  const agent = startUmask000('agent', BIN.agent, ['run', '--config', join(aDir, 'a.json')]);
  t.after(() => agent.stop());
  await waitForFile(join(aDir, 'spool-data', 'spool.db-wal'), () => true, 'agent spool');
  await waitForFile(aLog, (s) => s.length > 0, 'agent log');

  const files = {
    [cLog]: '0600',
    [join(cDir, 'data', 'collector.db')]: '0600',
    [join(cDir, 'data', 'collector.db-wal')]: '0600',
    [join(cDir, 'data', 'collector.db-shm')]: '0600',
    [join(cDir, 'data')]: '0700',
    [aLog]: '0600',
    [join(aDir, 'spool-data', 'spool.db')]: '0600',
    [join(aDir, 'spool-data', 'spool.db-wal')]: '0600',
    [join(aDir, 'spool-data', 'spool.db-shm')]: '0600',
    [join(aDir, 'spool-data')]: '0700',
  };
  assert.deepEqual(Object.fromEntries(Object.keys(files).map((f) => [f, existsSync(f) ? mode(f) : 'missing'])), files);
});
