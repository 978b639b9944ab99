import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Commands the fixture runs; all from the Debian packages listed in .ci/run. */
const COMMANDS = [
  'samba',
  'samba-tool',
  'smbclient',
  'kinit',
  'ldapsearch',
  'wbinfo',
  'ip',
  'unshare',
  'nsenter',
  'cp',
];

/**
 * Whether a real Samba AD DC can run here: the binaries, root (namespaces, mounts, ports < 1024),
 * Samba's python bindings in the system python, and working network namespaces.
 */
export function sambaAvailable(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `needs Linux, this is ${process.platform}` };
  const missing = COMMANDS.filter((c) => spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status !== 0);
  if (missing.length > 0) return { ok: false, reason: `missing commands: ${missing.join(', ')}` };
  if (process.getuid?.() !== 0)
    return { ok: false, reason: 'needs root (network namespaces, mounts, ports 88/389/445)' };
  if (
    !existsSync('/usr/bin/python3') ||
    spawnSync('/usr/bin/python3', ['-c', 'import samba.samdb'], { stdio: 'ignore' }).status !== 0
  ) {
    return { ok: false, reason: "Samba's python bindings (python3-samba) are not importable by /usr/bin/python3" };
  }
  if (spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status !== 0)
    return { ok: false, reason: '`ip netns list` fails' };
  // Creating a namespace is the real test (containers often forbid it); unnamed, so nothing is left behind.
  const probe = spawnSync('unshare', ['--net', '--mount', '--', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0)
    return { ok: false, reason: `cannot create namespaces: ${(probe.stderr ?? '').trim() || `exit ${probe.status}`}` };
  return { ok: true };
}
