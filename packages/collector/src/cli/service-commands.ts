import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  PrivilegeError,
  InstallError,
  UsageError,
  describeServiceStep,
  executeServiceStep,
  printable,
  readJsonConfig,
} from '@fsso/common';
import { resolveCollectorConfig } from '../config';
import { runCollectorDoctor } from '../doctor';
import { collectorInstallSteps, collectorUninstallSteps, installNotes } from '../install/service';

type Values = Record<string, string | boolean | undefined>;

const str = (v: Values, k: string): string | undefined => (typeof v[k] === 'string' ? (v[k] as string) : undefined);

/** `fsso-collector install|uninstall --config FILE [--dry-run]`: a hardened systemd unit. */
export function collectorServiceCommand(command: 'install' | 'uninstall', values: Values): number {
  const config = str(values, 'config');
  if (!config)
    throw new UsageError(
      `${command} needs --config FILE (the config the service will run with); see 'fsso-collector --help'`,
    );
  if (process.platform !== 'linux')
    throw new InstallError(
      `${command} writes a systemd unit, so it runs on Linux; on ${process.platform} start 'fsso-collector serve' from your service manager`,
    );
  const dryRun = values['dry-run'] === true;
  // Rights first: without them nothing else matters.
  if (!dryRun && typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new PrivilegeError(
      `${command} needs root (it writes /etc/systemd/system and runs systemctl); run it with sudo, or add --dry-run to see the steps`,
      'root',
    );
  }
  const abs = resolve(config);
  const opts = {
    config: abs,
    name: str(values, 'name') ?? 'fsso-collector',
    user: str(values, 'user') ?? 'fsso-collector',
    node: process.execPath,
    script: resolve(__dirname, '../../../bin/fsso-collector.js'),
    unitDir: str(values, 'unit-dir') ?? '/etc/systemd/system',
  };
  let steps;
  let notes: string[] = [];
  if (command === 'install') {
    if (!existsSync(abs)) throw new UsageError(`--config ${abs} does not exist; write the config first`);
    // Validate now: a service that fails at every start helps nobody.
    const cfg = resolveCollectorConfig(readJsonConfig(abs), dirname(abs));
    steps = collectorInstallSteps(opts, cfg);
    notes = installNotes(opts, cfg);
  } else {
    steps = collectorUninstallSteps(opts);
  }
  if (dryRun) {
    process.stdout.write(`${command} (dry run): would\n${steps.map(describeServiceStep).join('\n')}\n`);
  } else {
    for (const s of steps) {
      process.stdout.write(`${describeServiceStep(s).split('\n')[0]}\n`);
      executeServiceStep(s);
    }
    process.stdout.write(
      command === 'install'
        ? `installed and started service ${opts.name}\n`
        : `removed service ${opts.name} (its user and ${'/var/lib/fsso-collector'} are kept)\n`,
    );
  }
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  return 0;
}

/** `fsso-collector doctor --config FILE [--json]`: a verdict per check; exit 1 if any failed. */
export async function collectorDoctorCommand(values: Values): Promise<number> {
  const config = str(values, 'config');
  if (!config) throw new UsageError("doctor needs --config FILE; see 'fsso-collector --help'");
  const checks = await runCollectorDoctor(config, dirname(resolve(config)));
  if (values['json']) process.stdout.write(`${JSON.stringify(checks)}\n`);
  else {
    // Not a table: a detail holds the fix, and a table would cut it to the terminal's width.
    const w = Math.max(...checks.map((c) => c.check.length));
    for (const c of checks)
      process.stdout.write(`${c.verdict.padEnd(4)}  ${c.check.padEnd(w)}  ${printable(c.detail)}\n`);
  }
  return checks.some((c) => c.verdict === 'FAIL') ? 1 : 0;
}
