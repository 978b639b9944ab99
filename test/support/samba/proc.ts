import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { sleep } from './exec';

/** Small /proc readers for finding and stopping exactly our processes, never by name alone. */

export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((f) => /^\d+$/.test(f))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

export function procComm(pid: number): string {
  return readOr(`/proc/${pid}/comm`).trim();
}

/** Running (not exited, not a zombie waiting to be reaped). */
export function alive(pid: number): boolean {
  const status = readOr(`/proc/${pid}/status`);
  return status !== '' && !/^State:\s*Z/m.test(status);
}

/** `mnt:[4026532...]`, or '' when the process is gone. */
export function mountNsOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return '';
  }
}

export function hasFileUnder(pid: number, prefix: string): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(prefix);
    } catch {
      return false;
    }
  });
}

/** TERM, wait up to `graceMs`, then KILL whatever is left. */
export async function terminate(pids: number[], graceMs: number): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(100);
  for (const pid of pids.filter(alive)) signal(pid, 'SIGKILL');
  while (pids.some(alive) && Date.now() < deadline + 5_000) await sleep(100);
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err: unknown) {
    // Already gone is fine; anything else (EPERM) is a real problem.
    if (!(err instanceof Error && 'code' in err && err.code === 'ESRCH')) throw err;
  }
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
