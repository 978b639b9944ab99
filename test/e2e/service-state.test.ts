import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../support/paths';
import { testPki } from '../support/pki';
import { Daemon, runCommand, startCollector, tempDir, type CliResult } from '../support/processes';

/**
 * Issue 9, item 9: the installed service must be able to write its state. The unit keeps
 * ProtectSystem=full (so /etc, where the README puts the config, is read-only to it) and gives the
 * agent the state directory systemd creates, through FSSO_DATA_DIR. The run below reproduces the
 * unit's view without systemd: the config folder is bind-mounted read-only in a private mount
 * namespace (root), or made unwritable with chmod (other users), and FSSO_DATA_DIR is set as the
 * unit sets it.
 */

const SOURCE = '/var/log/samba/auth.json';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function agentConfig(dir: string, extra: Record<string, unknown> = {}): string {
  const path = join(dir, 'dc-agent.json');
  writeFileSync(
    path,
    JSON.stringify({
      insecure: true,
      collectors: [{ address: '127.0.0.1:7450' }],
      sources: [{ format: 'samba-audit', path: SOURCE, follow: true }],
      ...extra,
    }),
  );
  return path;
}

test('install --dry-run (Linux): StateDirectory=, FSSO_DATA_DIR=%S/NAME, ProtectSystem=full kept; the spool is /var/lib/NAME', async (t) => {
  const dir = tempDir('unit');
  t.after(dir.cleanup);
  const config = agentConfig(dir.path);
  const r = await runCommand(BIN.agent, [
    'install',
    '--config',
    config,
    '--dry-run',
    '--platform',
    'linux',
    '--unit-dir',
    dir.path,
    '--name',
    'fsso-dc-agent',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const unit = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('    '))
    .map((l) => l.slice(4))
    .join('\n');
  for (const line of [
    'ProtectSystem=full',
    'StateDirectory=fsso-dc-agent',
    'StateDirectoryMode=0700',
    'Environment=FSSO_DATA_DIR=%S/fsso-dc-agent',
  ]) {
    assert.ok(unit.split('\n').includes(line), `unit lacks ${line}:\n${unit}`);
  }
  assert.match(
    r.stdout,
    /the service keeps its spool in \/var\/lib\/fsso-dc-agent\/spool\.db; check it as the service sees it with: fsso-dc-agent doctor --config \S+ --data-dir \/var\/lib\/fsso-dc-agent\n$/,
  );
  // systemd's own parser accepts the unit (where systemd-analyze is installed).
  const analyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
  if (analyze.status === 0) {
    const file = join(dir.path, 'fsso-dc-agent.service');
    writeFileSync(file, `${unit}\n`);
    const v = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(v.status, 0, `systemd-analyze verify: ${v.stderr}`);
  }
});

test('install --dry-run (Windows): WinSW sets FSSO_DATA_DIR to %ProgramData%\\fsso-dc-agent', async (t) => {
  const dir = tempDir('winsw');
  t.after(dir.cleanup);
  const r = await runCommand(BIN.agent, [
    'install',
    '--config',
    agentConfig(dir.path),
    '--dry-run',
    '--platform',
    'windows',
    '--winsw',
    join(dir.path, 'WinSW-x64.exe'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ {6}<env name="FSSO_DATA_DIR" value="%ProgramData%\\fsso-dc-agent"\/>$/m);
  assert.match(r.stdout, /the service keeps its spool in %ProgramData%\\fsso-dc-agent\\spool\.db/);
});

test('install refuses a dataDir the service cannot write (under /etc) and names the fix; a dataDir under /var/lib is kept', async (t) => {
  const dir = tempDir('unit-etc');
  t.after(dir.cleanup);
  const r = await runCommand(BIN.agent, [
    'install',
    '--config',
    agentConfig(dir.path, { dataDir: '/etc/fsso/data' }),
    '--dry-run',
    '--platform',
    'linux',
  ]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(
    r.stderr,
    /^fsso-dc-agent: dataDir in \S+ puts the spool in \/etc\/fsso\/data, which the service cannot write \(ProtectSystem=full makes \/etc read-only\); remove dataDir to use the service's state directory \/var\/lib\/fsso-dc-agent, or point it under \/var\/lib \[FSSO_INSTALL\]\n$/,
  );
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  const kept = await runCommand(BIN.agent, [
    'install',
    '--config',
    agentConfig(dir.path, { dataDir: '/var/lib/fsso-custom' }),
    '--dry-run',
    '--platform',
    'linux',
  ]);
  assert.equal(kept.code, 0, kept.stderr);
  assert.match(
    kept.stdout,
    /the service keeps its spool in \/var\/lib\/fsso-custom\/spool\.db; check it as the service sees it with: fsso-dc-agent doctor --config \S+\n$/,
  );
});

/** Runs the agent CLI with the config folder unwritable, as ProtectSystem=full leaves /etc. */
function underUnit(confDir: string, args: string[], env: NodeJS.ProcessEnv): ReturnType<typeof spawn> {
  const base = { ...process.env, ...env };
  if (!isRoot) return spawn(process.execPath, [BIN.agent, ...args], { env: base, stdio: ['ignore', 'pipe', 'pipe'] });
  // A private mount namespace: the read-only bind mount is seen by this process tree only.
  const script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"';
  return spawn(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      script,
      'sh',
      confDir,
      process.execPath,
      BIN.agent,
      ...args,
    ],
    { env: base, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

function finish(child: ReturnType<typeof spawn>): Promise<CliResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test("the agent with the unit's settings: read-only config folder, spool in the state directory, events delivered, doctor says spool OK", async (t) => {
  const dir = tempDir('state');
  const conf = join(dir.path, 'etc-fsso');
  // Hooks run in the order they are added: the folder is made writable again before it is removed.
  t.after(() => {
    if (existsSync(conf)) chmodSync(conf, 0o755);
    dir.cleanup();
  });
  const collector = await startCollector(dir.path);
  t.after(() => collector.daemon.stop());
  const state = join(dir.path, 'var-lib', 'fsso-dc-agent');
  mkdirSync(conf);
  mkdirSync(join(dir.path, 'var-lib'));
  const audit = join(dir.path, 'auth.json');
  // One real-shaped Samba record (an NTLM logon of erwin from a client address of this test's own).
  writeFileSync(
    audit,
    `  ${JSON.stringify({
      timestamp: new Date(Date.now() - 1000).toISOString().replace('Z', '+0000'),
      type: 'Authentication',
      Authentication: {
        version: { major: 1, minor: 2 },
        eventId: 4624,
        logonType: 3,
        status: 'NT_STATUS_OK',
        localAddress: 'ipv4:198.18.12.1:445',
        remoteAddress: 'ipv4:198.18.12.40:50000',
        serviceDescription: 'SMB2',
        authDescription: 'NTLMSSP',
        clientDomain: 'CORP',
        clientAccount: 'erwin',
        workstation: 'WKS-ERWIN',
        becameAccount: 'erwin',
        becameDomain: 'CORP',
      },
    })}\n`,
  );
  const pki = testPki();
  const config = join(conf, 'dc-agent.json');
  writeFileSync(
    config,
    JSON.stringify({
      agentId: 'dc1',
      domains: ['CORP'],
      tls: { ca: pki.ca, cert: pki.agent.cert, key: pki.agent.key },
      collectors: [{ name: 'main', address: collector.address }],
      sources: [{ name: 'samba', format: 'samba-audit', path: audit }],
      log: { format: 'json', level: 'info' },
    }),
  );
  if (!isRoot) chmodSync(conf, 0o555);

  // Before the fix the spool defaulted to <config dir>/data: mkdir fails (Node reports ENOENT for a read-only
  // parent, as the issue saw), and the agent stops with the reason, no stack trace.
  const old = await finish(underUnit(conf, ['run', '--config', config, '--until-delivered'], {}));
  assert.notEqual(old.code, 0);
  assert.match(
    old.stderr,
    /cannot open the spool .*etc-fsso\/data\/spool\.db \((ENOENT|EROFS|EACCES)[^)]*\); check spool in the config and the folder's permissions \[FSSO_SPOOL_OPEN\]/,
  );
  assert.doesNotMatch(old.stderr, /\n\s+at /);
  const oldDoctor = await finish(underUnit(conf, ['doctor', '--config', config, '--json'], {}));
  assert.equal(oldDoctor.code, 1);
  assert.equal(
    (JSON.parse(oldDoctor.stdout) as { check: string; verdict: string }[]).find((c) => c.check === 'spool')?.verdict,
    'FAIL',
  );

  // With the unit's environment the spool goes to the state directory and the event is delivered.
  const env = { FSSO_DATA_DIR: state };
  const agent = new Daemon('agent', underUnit(conf, ['run', '--config', config, '--until-delivered'], env));
  t.after(() => agent.stop());
  const started = await agent.waitFor((l) => l.message === 'agent started');
  assert.deepEqual([started['spool'], started['spoolFrom']], [join(state, 'spool.db'), 'env']);
  assert.equal(await agent.exited, 0, agent.stderr.join('\n'));
  assert.ok(existsSync(join(state, 'spool.db')));
  assert.equal(statSync(state).mode & 0o777, 0o700, 'a new data folder is private');
  assert.deepEqual(readdirSync(conf), ['dc-agent.json'], 'nothing written beside the config');
  const rows = JSON.parse((await runCommand(BIN.ctl, ['logons', '--json', ...collector.args()])).stdout) as {
    ip: string;
    user: string;
  }[];
  assert.deepEqual(
    rows.map((r) => [r.ip, r.user]),
    [['198.18.12.40', 'erwin']],
  );

  const doctor = await finish(underUnit(conf, ['doctor', '--config', config, '--json'], env));
  assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
  const spool = (JSON.parse(doctor.stdout) as { check: string; verdict: string; detail: string }[]).find(
    (c) => c.check === 'spool',
  );
  assert.deepEqual(spool, {
    check: 'spool',
    verdict: 'OK',
    detail: `${state} is writable (FSSO_DATA_DIR / --data-dir)`,
  });
  // --data-dir is the same thing from an operator's shell.
  const flag = await finish(underUnit(conf, ['status', '--config', config, '--json', '--data-dir', state], {}));
  assert.equal(flag.code, 0, flag.stderr);
  assert.equal((JSON.parse(flag.stdout) as { spool: string; head: number }).head, 1);
});
