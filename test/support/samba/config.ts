import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetPlan } from './net';
import { dnsDomainOf, type DomainSettings } from './settings';

/** Where a run keeps its files; all under the run's own directory. */
export function runPaths(dir: string) {
  return {
    smbConf: join(dir, 'etc/smb.conf'),
    clientConf: join(dir, 'etc/client.conf'),
    auditLog: join(dir, 'log/auth.json'),
    sambaLog: join(dir, 'log/samba.log'),
    pidFile: join(dir, 'run/samba.pid'),
    /** Bind-mounted over /run/samba in the DC's private mount namespace (winbindd socket etc.). */
    runSamba: join(dir, 'run/samba-run'),
    ccacheDir: join(dir, 'run/ccache'),
    dcFiles: { krb5: join(dir, 'etc/krb5.conf'), hosts: join(dir, 'etc/hosts'), resolv: join(dir, 'etc/resolv.conf') },
    clientFiles: {
      krb5: join(dir, 'etc/krb5-clients.conf'),
      hosts: join(dir, 'etc/hosts-clients'),
      resolv: join(dir, 'etc/resolv-clients.conf'),
    },
  };
}

/**
 * Writes the run's smb.conf (from the template's, with the template's paths replaced) and the
 * Kerberos/hosts/resolv files the DC and the clients see. Clients in the namespaces reach the DC
 * at the bridge gateway; tools in the root namespace at the 127.x address.
 */
export function writeRunConfig(dir: string, bakedDir: string, s: DomainSettings, net: NetPlan): void {
  const p = runPaths(dir);
  for (const d of ['log', 'run/ncalrpc', 'run/samba-run', 'run/ccache']) mkdirSync(join(dir, d), { recursive: true });
  const conf = readFileSync(p.smbConf, 'utf8').split(bakedDir).join(dir);
  writeFileSync(
    p.smbConf,
    setGlobals(conf, {
      interfaces: [net.dcIp, net.gateway].filter(Boolean).join(' '),
      'bind interfaces only': 'yes',
      'disable netbios': 'yes', // no NBT on 137-139: nothing AD needs
      'smb ports': '445',
      'log file': p.sambaLog,
      'max log size': '100000',
      // Level 4 logs successes, failures and authorizations as JSON, one object per line.
      'log level': `1 auth_json_audit:4@${p.auditLog}`,
      'ldap server require strong auth': 'no', // plain ldap:// simple binds, as the collector uses
      'pid directory': join(dir, 'run'),
      'ncalrpc dir': join(dir, 'run/ncalrpc'),
      // No DNS server (port 53 stays free; clients use hosts files and explicit KDCs) and no updates.
      'server services': '-dns',
      'dns update command': '/bin/true',
      'dns forwarder': null,
    }),
  );
  writeFileSync(p.clientConf, `[global]\n\tworkgroup = ${s.domain}\n\trealm = ${s.realm}\n`);

  const dns = dnsDomainOf(s);
  const fqdn = `${s.host}.${dns}`;
  const write = (files: { krb5: string; hosts: string; resolv: string }, kdc: string): void => {
    writeFileSync(files.krb5, krb5Conf(s.realm, dns, kdc));
    writeFileSync(files.hosts, `127.0.0.1 localhost\n${kdc} ${fqdn} ${s.host} ${dns}\n`);
    writeFileSync(files.resolv, `nameserver ${kdc}\n`);
  };
  write(p.dcFiles, net.dcIp);
  if (net.gateway !== '') write(p.clientFiles, net.gateway);
}

function krb5Conf(realm: string, dnsDomain: string, kdc: string): string {
  return [
    '[libdefaults]',
    `\tdefault_realm = ${realm}`,
    '\tdns_lookup_realm = false',
    '\tdns_lookup_kdc = false',
    '\trdns = false',
    '\tdns_canonicalize_hostname = false',
    // TCP only: over UDP the AS-REP is too big, kinit retries on TCP and Samba logs the logon twice.
    '\tudp_preference_limit = 1',
    '[realms]',
    `\t${realm} = {`,
    `\t\tkdc = ${kdc}`,
    `\t\tadmin_server = ${kdc}`,
    '\t}',
    '[domain_realm]',
    `\t.${dnsDomain} = ${realm}`,
    `\t${dnsDomain} = ${realm}`,
    '',
  ].join('\n');
}

/** Replaces (or, for null, removes) keys of the [global] section; other sections stay as they are. */
export function setGlobals(conf: string, managed: Record<string, string | null>): string {
  const keys = new Set(Object.keys(managed).map((k) => k.toLowerCase()));
  const added = Object.entries(managed).flatMap(([k, v]) => (v === null ? [] : [`\t${k} = ${v}`]));
  const out: string[] = [];
  let inGlobal = false;
  for (const line of conf.split('\n')) {
    const t = line.trim();
    if (t.startsWith('[')) {
      if (inGlobal) out.push(...added, '');
      inGlobal = t.toLowerCase() === '[global]';
    } else if (inGlobal && t.includes('=') && keys.has((t.split('=', 1)[0] ?? '').trim().toLowerCase())) {
      continue;
    }
    out.push(line);
  }
  if (inGlobal) out.push(...added);
  return out.join('\n');
}
