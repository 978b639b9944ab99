import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { run, runOk, waitUntil } from './exec';
import { runPaths } from './config';
import { alive, allPids, hasFileUnder, mountNsOf, procComm, signal, terminate } from './proc';

/**
 * Starting and stopping the `samba` daemon of one run. It runs in a private mount namespace whose
 * /run/samba, /etc/hosts and /etc/resolv.conf are the run's own files, so several DCs (and the
 * host's own Samba, if any) never share sockets or name resolution. That namespace also tells our
 * processes apart from any other Samba: every process in it was started by us.
 */
export async function startSambaDaemon(dir: string): Promise<number> {
  const p = runPaths(dir);
  mkdirSync('/run/samba', { recursive: true }); // mount point only; our files are bound over it
  const script = [
    'd=$1; shift',
    // Recorded first, so a stop during start-up already knows which processes are ours.
    'readlink /proc/self/ns/mnt > "$d/run/mount-ns" || exit 1',
    // The daemon keeps no handle on our pipes: its start-up messages go to a file.
    'exec >"$d/log/samba-start.log" 2>&1',
    'mount --bind "$d/run/samba-run" /run/samba && mount --bind "$d/etc/hosts" /etc/hosts &&',
    'mount --bind "$d/etc/resolv.conf" /etc/resolv.conf && exec env KRB5_CONFIG="$d/etc/krb5.conf" "$@"',
  ].join('\n');
  await runOk('unshare', [
    '--mount',
    '--propagation',
    'private',
    '--',
    'sh',
    '-c',
    script,
    'sh',
    dir,
    'samba',
    '-s',
    p.smbConf,
    '-D',
  ]);
  return waitUntil('the samba pid file', async () => ourSambaPid(dir) ?? undefined, 30_000, 100);
}

/**
 * The pid in the run's pid file, if it is a live `samba` in the run's mount namespace.
 * (Samba retitles itself "samba: root process", so its command line no longer names smb.conf.)
 */
export function ourSambaPid(dir: string): number | null {
  const pidFile = runPaths(dir).pidFile;
  const ns = runMountNs(dir);
  if (!existsSync(pidFile) || ns === null) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) return null;
  return procComm(pid) === 'samba' && mountNsOf(pid) === ns && alive(pid) ? pid : null;
}

/**
 * Our address is new, but a service bound to 0.0.0.0 would still answer on it (and, if it is
 * another lab DC with the same realm, pass for ours): refuse to start then.
 */
export async function assertPortsFree(ip: string): Promise<void> {
  for (const port of [88, 389, 445, 636]) {
    if (await tcpOpen(ip, port))
      throw new Error(`${ip}:${port} answers before our DC started: another service listens on all addresses`);
  }
}

/** Waits until LDAP, Kerberos, SMB and winbindd all answer, or fails with the end of samba's log. */
export async function waitForDc(dir: string, dcIp: string, baseDn: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const check = async (what: string, probe: () => Promise<boolean>): Promise<void> => {
    await waitUntil(
      what,
      async () => {
        if (ourSambaPid(dir) === null)
          throw new Error(`samba exited while waiting for ${what}:\n${tail(runPaths(dir).sambaLog)}`);
        return (await probe()) ? true : undefined;
      },
      Math.max(deadline - Date.now(), 1),
      200,
    );
  };
  await check(`LDAP on ${dcIp}:389`, async () => {
    const r = await run(
      'ldapsearch',
      ['-x', '-LLL', '-o', 'nettimeout=2', '-H', `ldap://${dcIp}`, '-s', 'base', '-b', '', 'defaultNamingContext'],
      { timeoutMs: 5_000 },
    );
    return r.stdout.toLowerCase().includes(`defaultnamingcontext: ${baseDn.toLowerCase()}`);
  });
  await check(`Kerberos on ${dcIp}:88`, () => tcpOpen(dcIp, 88));
  await check(`SMB on ${dcIp}:445`, () => tcpOpen(dcIp, 445));
  // smbd needs winbindd for NTLM logons; it comes up a little after the rest.
  await check('winbindd', async () => {
    const pid = ourSambaPid(dir);
    if (pid === null) return false;
    return (await run('nsenter', ['-t', String(pid), '-m', '--', 'wbinfo', '-p'], { timeoutMs: 5_000 })).code === 0;
  });
}

/**
 * Stops the daemon by pid (TERM, then KILL), then whatever still runs in its mount namespace
 * (smbd, winbindd and children, some retitled). Returns the pids that would not die.
 */
export async function stopSambaDaemon(dir: string): Promise<number[]> {
  const main = ourSambaPid(dir);
  if (main !== null) await terminate([main], 15_000);
  await waitUntil(
    'samba children to exit',
    async () => (ourProcesses(dir).length === 0 ? true : undefined),
    5_000,
    100,
  ).catch(() => undefined);
  const left = ourProcesses(dir);
  if (left.length > 0) await terminate(left, 5_000);
  return ourProcesses(dir);
}

/** Best-effort synchronous stop for a process 'exit' or signal handler. */
export function stopSambaDaemonSync(dir: string): void {
  for (const pid of ourProcesses(dir)) signal(pid, 'SIGKILL');
}

/**
 * Every live process in the run's mount namespace; before that namespace is known (start
 * interrupted), Samba processes holding files in the run's directory.
 */
function ourProcesses(dir: string): number[] {
  const ns = runMountNs(dir);
  const own = mountNsOf(process.pid);
  if (ns !== null && ns !== own) return allPids().filter((pid) => mountNsOf(pid) === ns && alive(pid));
  return allPids().filter(
    (pid) =>
      /^(samba|smbd|winbindd|samba-dcerpcd|rpcd_.*)$/.test(procComm(pid)) && hasFileUnder(pid, `${dir}/`) && alive(pid),
  );
}

function runMountNs(dir: string): string | null {
  const file = join(dir, 'run/mount-ns');
  if (!existsSync(file)) return null;
  const ns = readFileSync(file, 'utf8').trim();
  return /^mnt:\[\d+\]$/.test(ns) ? ns : null;
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 2_000 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${file})`;
  }
}
