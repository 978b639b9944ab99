import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InstallError, UsageError, readOnlyForServices, renderTable, readJsonConfig } from '@fsso/common';
import { resolveAgentConfig } from '../config';
import { runDoctor } from '../doctor';
import {
  checkRights,
  describeStep,
  executeStep,
  installSteps,
  serviceDataDir,
  uninstallSteps,
  type Platform,
} from '../install/service';

type Values = Record<string, string | boolean | undefined>;

/** `install` / `uninstall`: a systemd unit on Linux, a WinSW service on Windows. */
export function serviceCommand(command: 'install' | 'uninstall', values: Values): number {
  const config = values['config'];
  if (typeof config !== 'string')
    throw new UsageError(`${command} needs --config FILE (the config the service will run with)`);
  const abs = resolve(config);
  const platformFlag = values['platform'];
  if (platformFlag !== undefined && platformFlag !== 'linux' && platformFlag !== 'windows')
    throw new UsageError('--platform is linux or windows');
  const platform: Platform =
    platformFlag === 'windows' || platformFlag === 'linux'
      ? platformFlag
      : process.platform === 'win32'
        ? 'windows'
        : 'linux';
  // Rights first: without them nothing else matters, and the config may not even be readable.
  if (!values['dry-run']) checkRights(platform);
  const name = typeof values['name'] === 'string' ? values['name'] : 'fsso-dc-agent';
  let spool = '';
  if (command === 'install') {
    if (!existsSync(abs)) throw new UsageError(`--config ${abs} does not exist; write the config first`);
    // Validate now: a service that fails at every start helps nobody.
    const cfg = resolveAgentConfig(readJsonConfig(abs), dirname(abs));
    spool =
      cfg.dataDirFrom === 'config' || cfg.dataDirFrom === 'spool'
        ? cfg.spool
        : `${serviceDataDir({ platform, name })}${platform === 'windows' ? '\\' : '/'}spool.db`;
    const readOnly = platform === 'linux' ? readOnlyForServices(dirname(cfg.spool)) : undefined;
    if (readOnly !== undefined && (cfg.dataDirFrom === 'config' || cfg.dataDirFrom === 'spool')) {
      const key = cfg.dataDirFrom === 'spool' ? 'spool' : 'dataDir';
      throw new InstallError(
        `${key} in ${abs} puts the spool in ${dirname(cfg.spool)}, which the service cannot write (ProtectSystem=full makes ${readOnly} read-only); remove ${key} to use the service's state directory ${serviceDataDir({ platform, name })}, or point it under /var/lib`,
      );
    }
  }
  const opts = {
    platform,
    config: abs,
    name,
    node: process.execPath,
    script: resolve(__dirname, '../../../bin/fsso-dc-agent.js'),
    winsw: typeof values['winsw'] === 'string' ? values['winsw'] : undefined,
    unitDir: typeof values['unit-dir'] === 'string' ? values['unit-dir'] : undefined,
  };
  const steps = command === 'install' ? installSteps(opts) : uninstallSteps(opts);
  // Shell commands do not run with the unit's environment: say where the spool is and how to look at it.
  const where =
    spool === ''
      ? ''
      : `the service keeps its spool in ${spool}; check it as the service sees it with: fsso-dc-agent doctor --config ${abs}${spool.startsWith(serviceDataDir({ platform, name })) ? ` --data-dir ${serviceDataDir({ platform, name })}` : ''}\n`;
  if (values['dry-run']) {
    process.stdout.write(`${command} (dry run, ${platform}): would\n${steps.map(describeStep).join('\n')}\n${where}`);
    return 0;
  }
  for (const s of steps) {
    process.stdout.write(`${describeStep(s).split('\n')[0]}\n`);
    executeStep(s);
  }
  process.stdout.write(
    command === 'install' ? `installed and started service ${opts.name}\n${where}` : `removed service ${opts.name}\n`,
  );
  return 0;
}

/** `doctor`: a verdict per check; exit 1 if any failed. */
export async function doctorCommand(values: Values): Promise<number> {
  const config = values['config'];
  if (typeof config !== 'string') throw new UsageError('doctor needs --config FILE');
  const checks = await runDoctor(config, dirname(resolve(config)));
  if (values['json']) process.stdout.write(`${JSON.stringify(checks)}\n`);
  else
    process.stdout.write(
      `${renderTable(
        ['CHECK', 'VERDICT', 'DETAIL'],
        checks.map((c) => [c.check, c.verdict, c.detail]),
      )}\n`,
    );
  return checks.some((c) => c.verdict === 'FAIL') ? 1 : 0;
}
