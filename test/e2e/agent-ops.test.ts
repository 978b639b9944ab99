import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, DEMO_SAMPLE } from '../support/paths';
import { runCommand, startCollector, tempDir } from '../support/processes';
import { testPki } from '../support/pki';

function writeConfig(dir: string, collector: string, sourcePath: string, extra: Record<string, unknown> = {}): string {
  const path = join(dir, 'agent.json');
  const pki = testPki();
  const tls = { ca: pki.ca, cert: pki.agent.cert, key: pki.agent.key };
  writeFileSync(
    path,
    JSON.stringify({
      agentId: 'dc1',
      tls,
      collectors: [{ name: 'main', address: collector }],
      sources: [{ name: 'sec', format: 'windows-xml', path: sourcePath }],
      ...extra,
    }),
  );
  return path;
}

test('doctor gives a verdict per check and fails when a source or collector is missing', async (t) => {
  const dir = tempDir('doctor');
  t.after(dir.cleanup);
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());

  const good = await runCommand(BIN.agent, [
    'doctor',
    '--json',
    '--config',
    writeConfig(dir.path, collector.address, DEMO_SAMPLE),
  ]);
  assert.equal(good.code, 0, good.stdout + good.stderr);
  const checks = JSON.parse(good.stdout) as { check: string; verdict: string; detail: string }[];
  assert.deepEqual(
    checks.map((c) => c.check),
    ['config', 'source sec', 'certificate', 'spool', 'collector main'],
  );
  assert.equal(
    checks.find((c) => c.check === 'collector main')?.verdict,
    'OK',
    'mutual TLS with the agent certificate',
  );

  // A plaintext agent config is a warning even when it works.
  mkdirSync(join(dir.path, 'plain'));
  const plain = await startCollector(join(dir.path, 'plain'), { config: { insecure: true } });
  t.after(() => plain.daemon.stop());
  const warn = await runCommand(BIN.agent, [
    'doctor',
    '--json',
    '--config',
    writeConfig(dir.path, plain.address, DEMO_SAMPLE, { tls: undefined, insecure: true }),
  ]);
  assert.equal(
    (JSON.parse(warn.stdout) as { check: string; verdict: string }[]).find((c) => c.check === 'collector main')
      ?.verdict,
    'WARN',
    'plaintext is a warning, not OK',
  );

  const bad = await runCommand(BIN.agent, [
    'doctor',
    '--json',
    '--config',
    writeConfig(dir.path, '127.0.0.1:1', join(dir.path, 'missing.xml')),
  ]);
  assert.equal(bad.code, 1);
  const verdicts = Object.fromEntries(
    (JSON.parse(bad.stdout) as { check: string; verdict: string }[]).map((c) => [c.check, c.verdict]),
  );
  assert.deepEqual(verdicts, {
    config: 'OK',
    'source sec': 'FAIL',
    certificate: 'OK',
    spool: 'OK',
    'collector main': 'FAIL',
  });

  const broken = join(dir.path, 'broken.json');
  writeFileSync(broken, JSON.stringify({ collectors: [], sources: [] }));
  const cfg = await runCommand(BIN.agent, ['doctor', '--config', broken]);
  assert.equal(cfg.code, 1);
  assert.match(cfg.stdout, /config\s+FAIL\s+collectors: list at least one collector/);
});

test('install --dry-run prints the systemd unit or the WinSW service it would register', async (t) => {
  const dir = tempDir('install');
  t.after(dir.cleanup);
  const config = writeConfig(dir.path, '127.0.0.1:7450', DEMO_SAMPLE);
  const linux = await runCommand(BIN.agent, ['install', '--dry-run', '--platform', 'linux', '--config', config]);
  assert.equal(linux.code, 0, linux.stderr);
  assert.match(linux.stdout, /write \/etc\/systemd\/system\/fsso-dc-agent\.service/);
  assert.match(
    linux.stdout,
    new RegExp(`ExecStart=\\S+node \\S+/bin/fsso-dc-agent\\.js run --config ${config.replace(/[.]/g, '\\.')}`),
  );
  assert.match(linux.stdout, /run {3}systemctl enable --now fsso-dc-agent\.service/);

  const win = await runCommand(BIN.agent, [
    'install',
    '--dry-run',
    '--platform',
    'windows',
    '--winsw',
    'C:\\fsso\\WinSW-x64.exe',
    '--config',
    config,
  ]);
  assert.equal(win.code, 0, win.stderr);
  assert.match(win.stdout, /<executable>.*node.*<\/executable>/);
  assert.match(win.stdout, /<onfailure action="restart"/);
  assert.match(win.stdout, /run {3}\S*WinSW-x64\.exe install/);

  const noWrapper = await runCommand(BIN.agent, ['install', '--dry-run', '--platform', 'windows', '--config', config]);
  assert.equal(noWrapper.code, 1);
  assert.match(noWrapper.stderr, /pass --winsw PATH/);

  const un = await runCommand(BIN.agent, ['uninstall', '--dry-run', '--platform', 'linux', '--config', config]);
  assert.match(
    un.stdout,
    /systemctl disable --now fsso-dc-agent\.service[\s\S]*remove \/etc\/systemd\/system\/fsso-dc-agent\.service/,
  );
});

test('install refuses clearly without root', (t) => {
  if (process.getuid?.() !== 0 || spawnSync('runuser', ['--help']).status !== 0) {
    t.skip('needs root and runuser to run the command as an unprivileged user');
    return;
  }
  const dir = tempDir('install-noroot');
  t.after(dir.cleanup);
  const config = writeConfig(dir.path, '127.0.0.1:7450', DEMO_SAMPLE);
  spawnSync('chmod', ['-R', 'a+rX', dir.path]);
  const r = spawnSync(
    'runuser',
    ['-u', 'nobody', '--', process.execPath, BIN.agent, 'install', '--platform', 'linux', '--config', config],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /needs root .* run it with sudo/);
});
