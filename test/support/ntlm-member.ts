import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { SambaDc } from './samba';
import { inNamespaceWithMounts } from './netns';
import { run, runOk, waitUntil } from './samba/exec';
import { alive, allPids, mountNsOf, terminate } from './samba/proc';

/** The collector host as the issue deploys it: a domain member (net ads join) running winbindd. */
export interface MemberHost {
  /** ntlm.command for the collector: ntlm_auth in the member's namespaces, with its smb.conf. */
  helperCommand: string[];
  smbConf: string;
  stop(): Promise<void>;
}

/**
 * Joins a member host to the lab DC and starts its winbindd, inside the client network namespace
 * `ns` (address `ip`) and a private mount namespace whose /etc/hosts, resolv.conf and /run/samba
 * are the member's own files. Kerberos (Negotiate) is accepted with the keytab `keytab`
 * ("kerberos method = dedicated keytab"). Every process of the member is in that mount namespace,
 * which is how stop() finds them (winbindd starts samba-dcerpcd and rpcd_* helpers of its own).
 */
export async function joinMember(
  dc: SambaDc,
  ns: string,
  ip: string,
  dir: string,
  keytab: string,
): Promise<MemberHost> {
  const m = join(dir, 'member');
  for (const d of ['private', 'lock', 'state', 'cache', 'run', 'run-samba', 'ncalrpc', 'log', 'etc'])
    mkdirSync(join(m, d), { recursive: true });
  const smbConf = join(m, 'etc/smb.conf');
  writeFileSync(
    smbConf,
    [
      '[global]',
      `\tworkgroup = ${dc.domain}`,
      `\trealm = ${dc.realm}`,
      '\tsecurity = ads',
      '\tserver role = member server',
      '\tnetbios name = FSSOCOL',
      `\tpassword server = dc1.${dc.dnsDomain}`,
      '\tkerberos method = dedicated keytab',
      `\tdedicated keytab file = FILE:${keytab}`,
      '\tidmap config * : backend = tdb',
      '\tidmap config * : range = 3000-7999',
      `\tidmap config ${dc.domain} : backend = rid`,
      `\tidmap config ${dc.domain} : range = 10000-999999`,
      ...['private dir', 'lock directory', 'state directory', 'cache directory', 'pid directory', 'ncalrpc dir'].map(
        (k, i) => `\t${k} = ${join(m, ['private', 'lock', 'state', 'cache', 'run', 'ncalrpc'][i] ?? '')}`,
      ),
      `\tlog file = ${join(m, 'log/%m.log')}`,
      `\tinterfaces = ${ip}`,
      '\tbind interfaces only = yes',
      '\tdisable netbios = yes',
      '',
    ].join('\n'),
  );
  // Our own host name too: a lookup of it would otherwise wait for a DNS server that is not there.
  writeFileSync(
    join(m, 'etc/hosts'),
    `127.0.0.1 localhost ${hostname()}\n${dc.gateway} dc1.${dc.dnsDomain} dc1 ${dc.dnsDomain}\n${ip} fssocol.${dc.dnsDomain} fssocol\n`,
  );
  writeFileSync(join(m, 'etc/resolv.conf'), `nameserver ${dc.gateway}\noptions timeout:1 attempts:1\n`);
  const krb5 = join(dc.dir, 'etc/krb5-clients.conf');
  const wrap = (cmd: string[]): string[] =>
    inNamespaceWithMounts(
      ns,
      [
        [join(m, 'etc/hosts'), '/etc/hosts'],
        [join(m, 'etc/resolv.conf'), '/etc/resolv.conf'],
        [join(m, 'run-samba'), '/run/samba'],
      ],
      ['env', `KRB5_CONFIG=${krb5}`, ...cmd],
    );
  await runOk(
    'ip',
    wrap([
      'net',
      'ads',
      'join',
      '-s',
      smbConf,
      '-S',
      `dc1.${dc.dnsDomain}`,
      '-U',
      `Administrator%${dc.adminPassword}`,
      '--no-dns-updates',
    ]),
    {
      timeoutMs: 60_000,
    },
  );
  const child = spawn('ip', wrap(['winbindd', '-F', '--no-process-group', '-s', smbConf]), { stdio: 'ignore' });
  const winbindd = await waitUntil(
    "the member's winbindd",
    async () => {
      const pid = allPids().find((p) => readCmdline(p).startsWith(`winbindd\0-F\0--no-process-group\0-s\0${smbConf}`));
      return pid;
    },
    15_000,
    100,
  );
  const mountNs = mountNsOf(winbindd);
  const inMember = ['nsenter', '-t', String(winbindd), '-m', '-n', '--'];
  const stop = async (): Promise<void> => {
    // A mount namespace of its own is what tells the member's processes apart; without one, winbindd alone.
    const own = mountNs !== mountNsOf(process.pid);
    const ours = (): number[] =>
      own ? allPids().filter((p) => mountNsOf(p) === mountNs && alive(p)) : alive(winbindd) ? [winbindd] : [];
    await terminate(ours(), 5_000);
    child.kill();
  };
  try {
    // The trust works (the member's machine secret is good) before any test relies on it.
    await waitUntil(
      'the member trusting the domain (wbinfo -t)',
      async () =>
        (await run(inMember[0] ?? '', [...inMember.slice(1), 'wbinfo', '-t'], { timeoutMs: 10_000 })).code === 0
          ? true
          : undefined,
      20_000,
      250,
    );
  } catch (err) {
    await stop();
    throw new Error(`${String(err)}; winbindd log: ${tail(join(m, 'log/winbindd.log'))}`);
  }
  return { helperCommand: [...inMember, 'ntlm_auth', `--configfile=${smbConf}`], smbConf, stop };
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return '';
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return `(no ${file})`;
  }
}
