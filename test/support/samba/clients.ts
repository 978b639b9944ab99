import { join } from 'node:path';
import { runOk, type RunOptions } from './exec';
import { inNamespaceWithMounts } from '../netns';
import { runPaths } from './config';
import type { LabNetwork } from './net';
import { dnsDomainOf, type DomainSettings } from './settings';

export type LogonMethod = 'krb5' | 'ntlm' | 'ldap';

/**
 * Runs a client command from one client address: inside that address's network namespace, with a
 * private mount namespace whose /etc/hosts and resolv.conf point at the DC's gateway address, and
 * with the clients' krb5.conf. Rejects with the command's output if it fails.
 */
export function runAsClient(
  dir: string,
  net: LabNetwork,
  from: string,
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<string> {
  const p = runPaths(dir);
  const ns = net.clientNs(from);
  return runOk(
    'ip',
    inNamespaceWithMounts(
      ns,
      [
        [p.clientFiles.hosts, '/etc/hosts'],
        [p.clientFiles.resolv, '/etc/resolv.conf'],
      ],
      ['env', `KRB5_CONFIG=${p.clientFiles.krb5}`, `KRB5CCNAME=FILE:${join(p.ccacheDir, ns)}`, cmd, ...args],
    ),
    { timeoutMs: 30_000, ...opts },
  );
}

/**
 * One real logon of `user` from client address `from`, which the DC logs as one audit record:
 *   krb5  kinit: a Kerberos AS-REQ (over TCP, see krb5.conf)
 *   ntlm  smbclient to the netlogon share with NTLM only, as `workstation`
 *   ldap  ldapsearch with a simple bind as user@dns.domain
 * Seeded users and the WS01$ computer use the user password; `administrator` the admin password.
 */
export async function logon(
  dir: string,
  net: LabNetwork,
  s: DomainSettings,
  user: string,
  from: string,
  how: LogonMethod,
  workstation?: string,
): Promise<void> {
  const password = user.toLowerCase() === 'administrator' ? s.adminPassword : s.userPassword;
  const dc = net.plan.gateway;
  switch (how) {
    case 'krb5':
      await runAsClient(dir, net, from, 'kinit', [`${user}@${s.realm}`], { input: `${password}\n` });
      return;
    case 'ntlm': {
      const ws = workstation ?? `WKS-${from.split('.').join('-')}`;
      await runAsClient(dir, net, from, 'smbclient', [
        `//${dc}/netlogon`,
        '-s',
        runPaths(dir).clientConf,
        '-U',
        `${s.domain}\\${user}%${password}`,
        '--use-kerberos=off',
        `--option=netbios name=${ws}`,
        '-c',
        'ls',
      ]);
      return;
    }
    case 'ldap':
      await runAsClient(dir, net, from, 'ldapsearch', [
        '-x',
        '-H',
        `ldap://${dc}`,
        '-D',
        `${user}@${dnsDomainOf(s)}`,
        '-w',
        password,
        '-s',
        'base',
        '-b',
        '',
        'dn',
      ]);
      return;
  }
}

/**
 * A logon made on the DC host itself to the DC's own non-loopback address (the gateway), as a tool
 * or an admin on the DC would: the root namespace's connection to a local address has that address
 * as its source, so Samba logs remoteAddress equal to localAddress (LDAP, SMB), or for the KDC,
 * which logs no localAddress, the DC's own address as the client's.
 */
export async function logonOnDcHost(
  dir: string,
  net: LabNetwork,
  s: DomainSettings,
  user: string,
  how: Exclude<LogonMethod, 'ntlm'>,
): Promise<void> {
  const p = runPaths(dir);
  const password = user.toLowerCase() === 'administrator' ? s.adminPassword : s.userPassword;
  if (how === 'krb5') {
    await runOk(
      'env',
      [
        `KRB5_CONFIG=${p.clientFiles.krb5}`,
        `KRB5CCNAME=FILE:${join(p.ccacheDir, 'dc-host')}`,
        'kinit',
        `${user}@${s.realm}`,
      ],
      { input: `${password}\n`, timeoutMs: 30_000 },
    );
    return;
  }
  await runOk(
    'ldapsearch',
    [
      '-x',
      '-H',
      `ldap://${net.plan.gateway}`,
      '-D',
      `${user}@${dnsDomainOf(s)}`,
      '-w',
      password,
      '-s',
      'base',
      '-b',
      '',
      'dn',
    ],
    { timeoutMs: 30_000 },
  );
}
