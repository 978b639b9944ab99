import { resolve, sep } from 'node:path';

/**
 * Where a daemon keeps its state (the agent's spool; the collector's database once its `install`
 * exists, issue 10). One rule for every daemon, so an installed service and the shell commands
 * an operator runs beside it find the same files:
 *   1. the config's explicit `dataDir` (the operator chose it; `install` refuses one the service cannot write);
 *   2. `FSSO_DATA_DIR`, which installed services set to the service manager's state directory
 *      (systemd `StateDirectory=` under /var/lib, WinSW under %ProgramData%), and which
 *      `--data-dir` sets for shell commands;
 *   3. `<config dir>/data`, for a daemon started by hand.
 */
export const DATA_DIR_ENV = 'FSSO_DATA_DIR';

export type DataDirSource = 'config' | 'env' | 'default';

export interface DataDir {
  dir: string;
  /** Which rule chose it, for doctor and the start log line. */
  from: DataDirSource;
}

export function resolveDataDir(
  configured: string | undefined,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): DataDir {
  if (configured !== undefined && configured !== '') return { dir: resolve(baseDir, configured), from: 'config' };
  const fromEnv = env[DATA_DIR_ENV]?.trim();
  if (fromEnv) return { dir: resolve(fromEnv), from: 'env' };
  return { dir: resolve(baseDir, 'data'), from: 'default' };
}

/** How each rule is named to an operator. */
export function describeDataDirSource(from: DataDirSource): string {
  return from === 'config'
    ? 'dataDir in the config'
    : from === 'env'
      ? `${DATA_DIR_ENV} / --data-dir`
      : 'the default beside the config';
}

/**
 * The systemd lines that give service `name` a private, writable state folder: systemd creates
 * /var/lib/NAME (0700, owned by the service's user) before each start, also under
 * `ProtectSystem=full`/`strict`, and the daemon learns it through FSSO_DATA_DIR (%S is /var/lib
 * for system units).
 */
export function systemdStateDirectory(name: string): { lines: string[]; dir: string } {
  return {
    lines: [`StateDirectory=${name}`, 'StateDirectoryMode=0700', `Environment=${DATA_DIR_ENV}=%S/${name}`],
    dir: `/var/lib/${name}`,
  };
}

/** The state folder of an installed Windows service, as WinSW expands it. */
export function windowsStateDirectory(name: string): string {
  return `%ProgramData%\\${name}`;
}

/** What `ProtectSystem=full` mounts read-only for a service (systemd.exec(5)). */
const READ_ONLY_UNDER_PROTECT_SYSTEM = ['/usr', '/boot', '/efi', '/etc'];

/** The read-only tree `path` lies in for a `ProtectSystem=full` service, or undefined when it is writable there. */
export function readOnlyForServices(path: string): string | undefined {
  const abs = resolve(path);
  return READ_ONLY_UNDER_PROTECT_SYSTEM.find((root) => abs === root || abs.startsWith(root + sep));
}
