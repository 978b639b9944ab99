import {
  chmodSync,
  closeSync,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  type Stats,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors';

/*
 * Files that decide whom we trust (CA, certificate, key) must not be writable by anyone but their
 * owner: a CA file that any user can append to lets any user mint an admin. Files that hold what
 * we know (the database, the spool, logs) are created private whatever the umask, because a
 * service started from a shell with `umask 000` would otherwise leave them world-readable.
 */

const isWindows = process.platform === 'win32';

/** Why `st` lets others change the file, or undefined. Group/other write bits are what count. */
function writableByOthers(st: Stats): string | undefined {
  const mode = st.mode & 0o777;
  if (mode & 0o022)
    return `mode ${mode.toString(8).padStart(4, '0')}: ${mode & 0o002 ? 'every user' : 'its group'} can write it`;
  return undefined;
}

/**
 * Why a trust file at `path` (already opened, `st` its fstat) could be changed by other users, or
 * undefined. Also looks at its folder: in a folder others can write, and without the sticky bit,
 * they can replace the file by renaming another over it.
 */
export function trustFileProblem(path: string, st: Stats): string | undefined {
  if (isWindows) return undefined;
  const own = writableByOthers(st);
  if (own) return `${path} can be changed by other users (${own}); run 'chmod go-w ${path}'`;
  const dir = dirname(path);
  try {
    const d = statSync(dir);
    const bad = writableByOthers(d);
    if (bad && !(d.mode & 0o1000))
      return `${path} is in ${dir}, which other users can write (${bad}), so they can replace it; run 'chmod go-w ${dir}'`;
  } catch {
    // The file was opened, so its folder exists; a folder we may not stat is not writable to us to judge.
  }
  return undefined;
}

/**
 * Reads a CA, certificate or key file, refusing one that other users can change. The mode is
 * taken from the open file, so the file checked is the file read.
 */
export function readTrustFile(path: string, field: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`${field}: cannot read ${path} (${why}); point it at a readable PEM file`, field);
  }
  try {
    const problem = trustFileProblem(path, fstatSync(fd));
    if (problem) throw new ConfigError(`${field}: ${problem}`, field);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Creates `dir` (and parents) if missing; a folder we create is 0700 whatever the umask. */
export function ensurePrivateDir(dir: string): void {
  const made = makeDirs(dir);
  // mkdir's mode passes through the umask, which can only take bits away; chmod makes it exact.
  if (made !== undefined && !isWindows) chmodSync(dir, 0o700);
}

/**
 * `mkdir -p` one level at a time. Node 20's `mkdirSync(…, { recursive: true })` never returns for
 * a path under /proc (it retries ENOENT forever, at full CPU), so a `dataDir: /proc/x` would hang
 * the start; here every level is tried once and the first refusal is thrown. Returns the first
 * folder made, like mkdirSync.
 */
function makeDirs(dir: string): string | undefined {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      if (!statSync(d).isDirectory())
        throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR', path: d });
      break;
    } catch (err) {
      const code = err instanceof Error && 'code' in err ? err.code : undefined;
      if (code === 'ENOTDIR')
        throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code, path: firstFile(d) });
      if (code !== 'ENOENT' || dirname(d) === d) throw err;
      missing.unshift(d);
    }
  }
  for (const d of missing) mkdirSync(d, { mode: 0o700 });
  return missing[0];
}

/** The ancestor of `path` that exists and is not a folder (the culprit of an ENOTDIR). */
function firstFile(path: string): string {
  for (let d = path; dirname(d) !== d; d = dirname(d)) {
    try {
      if (!statSync(d).isDirectory()) return d;
    } catch {
      // Below the culprit: keep going up.
    }
  }
  return path;
}

/**
 * Creates `path` empty with mode 0600 if it does not exist yet (its folder 0700 if missing), so
 * that whatever later writes to it (SQLite, a log transport) inherits a private file. An
 * existing file keeps its mode: an operator may have chosen it.
 */
export function ensurePrivateFile(path: string): void {
  ensurePrivateDir(dirname(path));
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'EEXIST') return;
    throw err;
  }
  try {
    if (!isWindows) fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
}
