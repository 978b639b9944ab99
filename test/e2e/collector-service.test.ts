import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { caPaths, issueCert } from '@fsso/common';
import { BIN } from '../support/paths';
import { runCommand, tempDir } from '../support/processes';
import { testPki } from '../support/pki';

/*
 * `fsso-collector install|uninstall --dry-run` print the hardened unit and every step (the real
 * install needs root and systemd, so it is not run here), and `fsso-collector doctor` checks a
 * config without changing anything: each failing check names the problem and the fix.
 */

function writeConfig(dir: string, extra: Record<string, unknown>): string {
  const pki = testPki();
  const path = join(dir, `collector-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      listen: '127.0.0.1:0',
      tls: { ca: pki.ca, cert: pki.collector.cert, key: pki.collector.key },
      dataDir: 'data',
      ...extra,
    }),
  );
  return path;
}

test('install --dry-run prints a hardened unit: own user, StateDirectory, ProtectSystem=strict, NoNewPrivileges, restart on failure', async (t) => {
  const dir = tempDir('svc-install');
  t.after(dir.cleanup);
  const config = writeConfig(dir.path, { dataDir: '/var/lib/fsso-collector' });
  const r = await runCommand(BIN.collector, ['install', '--config', config, '--dry-run']);
  assert.equal(r.code, 0, r.stderr);
  for (const line of [
    'User=fsso-collector',
    'StateDirectory=fsso-collector',
    'ProtectSystem=strict',
    'NoNewPrivileges=yes',
    'Restart=on-failure',
    'CapabilityBoundingSet=',
  ]) {
    assert.match(r.stdout, new RegExp(`^\\s+${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), line);
  }
  assert.match(
    r.stdout,
    new RegExp(
      `^\\s+ExecStart=\\S+ \\S+fsso-collector\\.js serve --config ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
      'm',
    ),
  );
  assert.doesNotMatch(r.stdout, /ReadWritePaths=/, 'the database is in the state directory: nothing else is writable');
  assert.match(r.stdout, /useradd --system .* fsso-collector\s+\(unless getent passwd fsso-collector succeeds\)/);
  assert.match(r.stdout, /^run {3}systemctl enable --now fsso-collector\.service$/m);
  assert.match(r.stdout, /note: the service runs as fsso-collector: it must read .*collector.*\.key/);
  // systemd itself accepts the unit (where systemd-analyze exists).
  const unit = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('    '))
    .map((l) => l.slice(4))
    .join('\n');
  const analyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
  if (analyze.status === 0) {
    const unitPath = join(dir.path, 'fsso-collector-test.service');
    writeFileSync(unitPath, unit.replace(/^User=.*$/m, 'User=root').replace(/^Group=.*$/m, 'Group=root'));
    const v = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
    assert.doesNotMatch(`${v.stderr}`, /Unknown (key|section)|Failed to parse|Invalid/i, v.stderr);
  }
});

test('install --dry-run: a low port gets CAP_NET_BIND_SERVICE, a database outside the state directory is writable and noted', async (t) => {
  const dir = tempDir('svc-install2');
  t.after(dir.cleanup);
  const config = writeConfig(dir.path, { listen: '127.0.0.1:745' });
  const r = await runCommand(BIN.collector, ['install', '--config', config, '--dry-run', '--user', 'fssoc']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\s+AmbientCapabilities=CAP_NET_BIND_SERVICE$/m);
  assert.match(r.stdout, new RegExp(`^\\s+ReadWritePaths=${join(dir.path, 'data')}$`, 'm'));
  assert.match(r.stdout, /note: the database .* is outside \/var\/lib\/fsso-collector/);
  const bad = await runCommand(BIN.collector, ['install', '--config', join(dir.path, 'missing.json'), '--dry-run']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /missing\.json does not exist; write the config first/);
  const un = await runCommand(BIN.collector, ['uninstall', '--config', config, '--dry-run']);
  assert.equal(un.code, 0, un.stderr);
  assert.match(
    un.stdout,
    /systemctl disable --now fsso-collector\.service\nremove \/etc\/systemd\/system\/fsso-collector\.service/,
  );
});

test('doctor: a good config passes every check (exit 0) and changes nothing', async (t) => {
  const dir = tempDir('svc-doctor-ok');
  t.after(dir.cleanup);
  const r = await runCommand(BIN.collector, ['doctor', '--config', writeConfig(dir.path, {}), '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const checks = JSON.parse(r.stdout) as { check: string; verdict: string; detail: string }[];
  assert.deepEqual(
    checks.map((c) => `${c.check}:${c.verdict}`),
    ['config:OK', 'certificate:OK', 'database:OK', 'port:OK'],
  );
  assert.match(checks[2]?.detail ?? '', /does not exist yet; it will be created/);
});

test('doctor names each problem: wrong-role certificate, port in use, a file that is not SQLite, a certificate expiring soon', async (t) => {
  const dir = tempDir('svc-doctor-bad');
  t.after(dir.cleanup);
  const pki = testPki();
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => blocker.close());
  const port = (blocker.address() as AddressInfo).port;
  mkdirSync(join(dir.path, 'data'));
  writeFileSync(join(dir.path, 'data', 'collector.db'), 'not a database');
  const config = writeConfig(dir.path, {
    listen: `127.0.0.1:${port}`,
    tls: { ca: pki.ca, cert: pki.firewall.cert, key: pki.firewall.key },
  });
  const r = await runCommand(BIN.collector, ['doctor', '--config', config]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^FAIL {2}certificate {2}.*lacks the serverAuth extended key usage/m);
  assert.match(
    r.stdout,
    new RegExp(
      `^FAIL {2}port +127\\.0\\.0\\.1:${port} \\(the gRPC port\\) is already in use \\(is a collector already running\\?`,
      'm',
    ),
  );
  assert.match(r.stdout, /^FAIL {2}database +\S*collector\.db is not an SQLite database/m);
  // Expiring in 10 days: a warning with the date, not a failure.
  const s = issueCert(caPaths(pki.dir), {
    role: 'collector',
    name: 'localhost',
    ips: ['127.0.0.1'],
    days: 10,
    out: 'collector-expiring-soon',
    force: true,
  });
  const warn = await runCommand(BIN.collector, [
    'doctor',
    '--config',
    writeConfig(dir.path, { dataDir: 'data2', tls: { ca: pki.ca, cert: s.cert, key: s.key } }),
    '--json',
  ]);
  assert.equal(warn.code, 0, warn.stdout);
  const cert = (JSON.parse(warn.stdout) as { check: string; verdict: string; detail: string }[]).find(
    (c) => c.check === 'certificate',
  );
  assert.equal(cert?.verdict, 'WARN');
  assert.match(cert?.detail ?? '', /expires on .* \(in (9|10) days\); issue a new one/);
});
