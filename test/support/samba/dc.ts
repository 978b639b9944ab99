import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { logon, logonOnDcHost, type LogonMethod } from './clients';
import { runPaths, writeRunConfig } from './config';
import { assertPortsFree, startSambaDaemon, stopSambaDaemon, stopSambaDaemonSync, waitForDc } from './daemon';
import { onEmergency } from './emergency';
import { runOk, waitUntil } from './exec';
import { hostAddresses, LabNetwork, planNetwork } from './net';
import { baseDnOf, COMPUTER, DEFAULT_SETTINGS, dnsDomainOf, type DomainSettings } from './settings';
import { ensureTemplate } from './template';

export interface StartOptions {
  /** Client addresses, each its own network namespace: one /24 inside 198.18.0.0/15 (see pickClientIps). */
  clientIps: string[];
  /** Run directory; default a new folder under the temp dir. Removed by stop() unless `keep`. */
  dir?: string;
  realm?: string;
  /** NetBIOS domain name. */
  domain?: string;
  keep?: boolean;
}

export interface SambaDc {
  dir: string;
  realm: string;
  domain: string;
  dnsDomain: string;
  baseDn: string;
  /** The DC's address in the root namespace (127.x, added to lo for this run). */
  dcIp: string;
  /** The DC's address as the client namespaces see it (.1 of their /24). */
  gateway: string;
  /** Reachable from the root namespace, where the collector runs. */
  ldapUrl: string;
  /** A plain domain user (svc-collector), as a collector would bind. */
  bindDn: string;
  bindPassword: string;
  adminDn: string;
  adminPassword: string;
  /** Password of alice, bob, carol, svc-collector and the WS01$ computer account. */
  userPassword: string;
  /** The seeded computer account's host name (account `WS01$`). */
  computer: string;
  auditLog: string;
  clientIps: string[];
  /** Network namespace names of the clients, and the per-run tag every name of this run starts with. */
  namespaces: string[];
  tag: string;
  pid: number;
  timings: { provisionMs: number; templateCached: boolean; startMs: number };
  logon(user: string, from: string, how: LogonMethod, workstation?: string): Promise<void>;
  /** A logon made on the DC host to the DC's own address (the gateway): self-traffic. */
  logonOnDcHost(user: string, how: 'krb5' | 'ldap'): Promise<void>;
  /** The audit log's lines so far. */
  auditLines(): Promise<string[]>;
  /** Waits until some audit line satisfies `pred` (lines are whole JSON objects as Samba wrote them). */
  waitForAudit(pred: (lines: string[]) => boolean, timeoutMs?: number): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Starts a real Samba AD DC from a cached provisioned template (see template.ts). Whatever fails
 * half-way is undone before the error is rethrown: processes by pid, namespaces by name, the dir.
 */
export async function startSambaDc(opts: StartOptions): Promise<SambaDc> {
  const settings: DomainSettings = {
    ...DEFAULT_SETTINGS,
    realm: opts.realm ?? DEFAULT_SETTINGS.realm,
    domain: opts.domain ?? DEFAULT_SETTINGS.domain,
  };
  const template = await ensureTemplate(settings);
  const started = Date.now();
  // Checked before anything exists, so a bad address list leaves nothing behind.
  const net = new LabNetwork(planNetwork(opts.clientIps, await hostAddresses()));
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'fsso-sdc-'));
  let pid = -1;
  const cleanupSync = (): void => {
    stopSambaDaemonSync(dir);
    net.downSync();
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  };
  const forget = onEmergency(cleanupSync);
  const stop = async (): Promise<void> => {
    forget();
    const left = await stopSambaDaemon(dir);
    const netLeft = await net.down();
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
    if (left.length > 0 || netLeft.length > 0)
      throw new Error(`Samba DC cleanup incomplete: pids ${left.join(' ')}; ${netLeft.join('; ')}`);
  };
  try {
    // cp -a, not fs.cp: the sysvol's NT ACLs are extended attributes (security.NTACL), which fs.cp drops.
    mkdirSync(dir, { recursive: true });
    await runOk('cp', ['-a', `${template.dir}/.`, dir]);
    writeRunConfig(dir, template.bakedDir, settings, net.plan);
    await net.up();
    await assertPortsFree(net.plan.dcIp);
    pid = await startSambaDaemon(dir);
    await waitForDc(dir, net.plan.dcIp, baseDnOf(settings));
  } catch (err: unknown) {
    await stop().catch(() => undefined);
    throw err;
  }
  const baseDn = baseDnOf(settings);
  const auditLog = runPaths(dir).auditLog;
  const auditLines = async (): Promise<string[]> =>
    (await readFile(auditLog, 'utf8').catch(() => '')).split('\n').filter((l) => l.trim() !== '');
  return {
    dir,
    realm: settings.realm,
    domain: settings.domain,
    dnsDomain: dnsDomainOf(settings),
    baseDn,
    dcIp: net.plan.dcIp,
    gateway: net.plan.gateway,
    ldapUrl: `ldap://${net.plan.dcIp}:389`,
    bindDn: `CN=svc-collector,CN=Users,${baseDn}`,
    bindPassword: settings.userPassword,
    adminDn: `CN=Administrator,CN=Users,${baseDn}`,
    adminPassword: settings.adminPassword,
    userPassword: settings.userPassword,
    computer: COMPUTER,
    auditLog,
    clientIps: [...opts.clientIps],
    namespaces: net.namespaces,
    tag: net.plan.tag,
    pid,
    timings: { provisionMs: template.provisionMs, templateCached: template.cached, startMs: Date.now() - started },
    logon: (user, from, how, workstation) => logon(dir, net, settings, user, from, how, workstation),
    logonOnDcHost: (user, how) => logonOnDcHost(dir, net, settings, user, how),
    auditLines,
    waitForAudit: (pred, timeoutMs = 15_000) =>
      waitUntil(
        'the expected audit records',
        async () => {
          const lines = await auditLines();
          return pred(lines) ? lines : undefined;
        },
        timeoutMs,
        200,
      ),
    stop,
  };
}
