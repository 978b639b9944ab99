import { UsageError, createLogger, formatAge, printable, resolveConnection, type Logger } from '@fsso/common';
import { FirewallClient, type ClientStatus } from '../client';
import { loadFwConfig, type FwConfig } from '../config';

type Values = Record<string, string | boolean | undefined>;

/**
 * The FirewallClient behind `fsso-fw --config FILE` (and `decide`/`status` without one): the
 * file, then FSSO_* environment and flags over it. Without a file, the one collector of the
 * connection flags, as the other commands use.
 */
export function clientConfig(values: Values, env = process.env): FwConfig {
  const file = typeof values['config'] === 'string' ? values['config'] : env['FSSO_CONFIG'] || undefined;
  const str = (flag: string, envName: string): string | undefined =>
    typeof values[flag] === 'string' ? (values[flag] as string) : env[envName] || undefined;
  const policyFile = str('policy', 'FSSO_POLICY');
  const grace = str('grace', 'FSSO_GRACE');
  const failMode = str('fail-mode', 'FSSO_FAIL_MODE');
  if (file === undefined) {
    const conn = resolveConnection(values, env);
    const cfg = loadFwConfig(undefined, { collectors: [conn.address], insecure: true, policyFile, grace, failMode });
    // The credentials resolveConnection built (TLS files, pin) replace the plaintext placeholder.
    return {
      ...cfg,
      collectors: [
        { name: conn.address, address: conn.address, insecure: conn.insecure, credentials: conn.credentials },
      ],
    };
  }
  const collector = str('collector', 'FSSO_COLLECTOR');
  const ca = str('ca', 'FSSO_CA');
  const cert = str('cert', 'FSSO_CERT');
  const key = str('key', 'FSSO_KEY');
  const pin = str('pin', 'FSSO_PIN');
  if ((ca || cert || key) && !(ca && cert && key))
    throw new UsageError(
      "--ca, --cert and --key go together (or FSSO_CA/FSSO_CERT/FSSO_KEY); give all three, or none to use the config file's tls",
    );
  return loadFwConfig(file, {
    collectors: collector ? collector.split(',').map((c) => c.trim()) : undefined,
    tls: ca && cert && key ? { ca, cert, key, pins: pin ? [pin] : undefined } : undefined,
    insecure: values['insecure'] === true ? true : undefined,
    policyFile,
    grace,
    failMode,
  });
}

/** Switches and mode changes go to `log.file` when the config names one (stdout is the command's output). */
export function makeClient(cfg: FwConfig, command: string, log?: Logger): FirewallClient {
  return new FirewallClient({
    collectors: cfg.collectors,
    graceMs: cfg.graceMs,
    failMode: cfg.failMode,
    policy: cfg.policy,
    clientName: `${cfg.clientName} ${command}`,
    log: log ?? (cfg.log.file ? createLogger('fsso-fw', { ...cfg.log, format: 'json' }) : undefined),
  });
}

/** `fsso-fw decide IP`: the policy's decision (exit 0 allow, 1 deny). */
export function decideCommand(client: FirewallClient, ip: string, json: boolean, out: (s: string) => void): number {
  const d = client.decide(ip);
  if (json) out(JSON.stringify(d));
  else out(printable(`${d.action.toUpperCase()} ${ip}: ${d.reason}`));
  return d.action === 'allow' ? 0 : 1;
}

export function statusLines(s: ClientStatus): string {
  const sw = s.lastSwitch
    ? `${s.lastSwitch.from} -> ${s.lastSwitch.to} ${formatAge(s.lastSwitch.atMs)} (${s.lastSwitch.reason})`
    : 'none';
  // Collector names come from the config, the reasons from the network: escape each line, keep the breaks.
  return [
    `collector:   ${s.collector ?? '-'}`,
    `state:       ${s.mode} since ${formatAge(s.modeSinceMs) || 'now'}`,
    `revision:    ${s.revision} (table ${s.tableId || '-'})`,
    `entries:     ${s.entries}`,
    `age:         ${s.ageMs === 0 ? 'current' : `${(s.ageMs / 1000).toFixed(1)} s since the last live collector`}`,
    `last switch: ${sw}`,
    `counters:    ${s.counters.switches} switches, ${s.counters.modeChanges} mode changes`,
    ...s.collectors.map(
      (c, i) => `  ${i + 1}. ${c.name.padEnd(24)} ${c.state.padEnd(10)} r${c.revision}  ${c.entries} entries`,
    ),
  ]
    .map((l) => printable(l))
    .join('\n');
}

/** `fsso-fw status [--watch]`: once, or again at every switch and mode change until Ctrl-C. */
export function statusCommand(
  client: FirewallClient,
  json: boolean,
  watch: boolean,
  out: (s: string) => void,
): Promise<number> | number {
  const print = (): void => {
    const s = client.status();
    out(json ? JSON.stringify(s) : `${new Date().toISOString()}\n${statusLines(s)}\n`);
  };
  print();
  if (!watch) return 0;
  client.on('switch', print);
  client.on('mode', print);
  return new Promise((resolve) => {
    const stop = (): void => {
      client.stop();
      resolve(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
