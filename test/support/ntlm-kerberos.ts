import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, runOk, type RunResult } from './samba/exec';
import type { SambaDc } from './samba';
import { inNamespaceWithMounts } from './netns';
import { curlStatus } from './ntlm';

/** The proxy's DNS name: Kerberos names the service HTTP/<name>, so browsers must use the name, not the address. */
export const PROXY_NAME = 'proxy.corp.example.test';

export type NegotiateSetup = {
  /** The keytab of HTTP/<proxyName>, for the collector host's helper. */
  keytab: string;
  proxyName: string;
} & (
  | {
      ok: true;
      /** curl in a client namespace whose /etc/hosts names the proxy, after kinit alice there. */
      curl(ns: string, args: readonly string[]): Promise<RunResult>;
    }
  | { ok: false; reason: string }
);

/**
 * What Negotiate needs from the domain: a service account holding the SPN
 * HTTP/proxy.corp.example.test and its keytab (samba-tool domain exportkeytab), which the
 * collector host's smb.conf then names ("kerberos method = dedicated keytab").
 */
export async function negotiateSetup(dc: SambaDc, dir: string): Promise<NegotiateSetup> {
  const smbConf = join(dc.dir, 'etc/smb.conf');
  const keytab = join(dir, 'http-proxy.keytab');
  const inDc = (args: string[]): Promise<string> =>
    runOk('nsenter', ['-t', String(dc.pid), '-m', '--', ...args], { timeoutMs: 60_000 });
  try {
    await inDc(['samba-tool', 'user', 'add', 'proxy-svc', 'ProxySvc1!Pass', '-s', smbConf]);
    await inDc(['samba-tool', 'spn', 'add', `HTTP/${PROXY_NAME}`, 'proxy-svc', '-s', smbConf]);
    await inDc(['samba-tool', 'domain', 'exportkeytab', keytab, `--principal=HTTP/${PROXY_NAME}`, '-s', smbConf]);
  } catch (err) {
    return { ok: false, reason: `could not make the HTTP keytab: ${String(err)}`, keytab, proxyName: PROXY_NAME };
  }
  const hosts = join(dir, 'hosts-negotiate');
  writeFileSync(hosts, `127.0.0.1 localhost\n${dc.gateway} dc1.${dc.dnsDomain} dc1 ${PROXY_NAME}\n`);
  const krb5 = join(dc.dir, 'etc/krb5-clients.conf');
  const inClient = (ns: string, cmd: string[], input?: string): Promise<RunResult> =>
    run(
      'ip',
      inNamespaceWithMounts(
        ns,
        [[hosts, '/etc/hosts']],
        ['env', `KRB5_CONFIG=${krb5}`, `KRB5CCNAME=FILE:${join(dir, `ccache-${ns}`)}`, ...cmd],
      ),
      { timeoutMs: 30_000, input },
    );
  return {
    ok: true,
    keytab,
    proxyName: PROXY_NAME,
    curl: async (ns, args) => {
      const k = await inClient(ns, ['kinit', `alice@${dc.realm}`], `${dc.userPassword}\n`);
      if (k.code !== 0) return { code: k.code, stdout: 'kinit failed', stderr: k.stderr };
      return inClient(ns, curlStatus(args));
    },
  };
}
