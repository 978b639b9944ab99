import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Why a test needing `commands` in a network namespace of its own cannot run here, or undefined. */
export function netnsUnavailable(commands: readonly string[]): string | undefined {
  if (process.platform !== 'linux') return `needs Linux, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  const missing = ['ip', 'unshare', ...commands].filter(
    (c) => spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status !== 0,
  );
  if (missing.length) return `missing commands: ${missing.join(', ')} (see .ci/run)`;
  const probe = spawnSync('unshare', ['--net', '--', 'true'], { encoding: 'utf8' });
  return probe.status === 0
    ? undefined
    : `the kernel refuses network namespaces: ${(probe.stderr ?? '').trim() || `exit ${probe.status}`}`;
}

/** A network namespace of this test's own, removed by name in `remove`. */
export class TestNetns {
  readonly name = `fst${randomBytes(3).toString('hex')}`;
  constructor() {
    const r = spawnSync('ip', ['netns', 'add', this.name], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip netns add ${this.name}: ${r.stderr}`);
  }
  /** Runs a command inside; throws with its stderr when it fails. */
  exec(cmd: string[], input?: string): string {
    const r = spawnSync('ip', ['netns', 'exec', this.name, ...cmd], { encoding: 'utf8', input });
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} in ${this.name}: ${r.stderr}`);
    return r.stdout;
  }
  /** The sorted elements of an nft set, from `nft -j list set`. */
  setElements(family: string, table: string, set: string): string[] {
    const j = JSON.parse(this.exec(['nft', '-j', 'list', 'set', family, table, set])) as {
      nftables: { set?: { elem?: unknown[] } }[];
    };
    return (j.nftables.find((x) => x.set)?.set?.elem ?? []).map(String).sort();
  }
  remove(): void {
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}

/**
 * `ip` arguments that run `cmd` in network namespace `ns` with a private mount namespace in
 * which each `[file, target]` of `binds` is bind-mounted over its target (a client's own
 * /etc/hosts, resolv.conf, /run/samba), so the host's files stay as they are.
 */
export function inNamespaceWithMounts(
  ns: string,
  binds: readonly (readonly [string, string])[],
  cmd: readonly string[],
): string[] {
  const mounts = binds.map(([, target], i) => `mount --bind "$${i + 1}" ${target}`).join(' && ');
  return [
    'netns',
    'exec',
    ns,
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--',
    'sh',
    '-c',
    `${mounts} && shift ${binds.length} && exec "$@"`,
    'sh',
    ...binds.map(([file]) => file),
    ...cmd,
  ];
}
