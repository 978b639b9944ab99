import { createReadStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  DATA_DIR_ENV, UsageError, VERSION, createLogger, flushLogger, parseCommandLine, readJsonConfig, runCli, type Logger,
} from '@fsso/common';
import { resolveAgentConfig } from '../config';
import { DcAgent } from '../agent';
import { describeFormats, formatNames, getFormat } from '@fsso/formats';
import { doctorCommand, serviceCommand } from './service-commands';
import { status } from './status';

const HELP = `fsso-dc-agent ${VERSION}: reads logon evidence on a domain controller and streams it to collectors.

Usage:
  fsso-dc-agent run --config FILE [--until-delivered] [--data-dir DIR]
  fsso-dc-agent parse --format FORMAT [--domain D] [--stats] [--self-traffic keep] FILE|-
  fsso-dc-agent status --config FILE [--json] [--data-dir DIR]
  fsso-dc-agent doctor --config FILE [--json] [--data-dir DIR]
  fsso-dc-agent install --config FILE [--dry-run] [--name N] [--winsw WinSW-x64.exe]
  fsso-dc-agent uninstall --config FILE [--dry-run] [--name N] [--winsw WinSW-x64.exe]

Commands:
  run      the daemon; with --until-delivered it exits once every source has ended
           and every collector acknowledged every event: 0 if all were accepted,
           1 if a source failed, 4 if a collector rejected any event
  parse    print the events a file would produce, one JSON object per line
           (--stats: a summary of records, events and skip reasons on stderr;
           --self-traffic keep: map logons from the server's own address too)
  status   the spool: newest event, and per collector what it acknowledged, the
           backlog, the link's state and since when, its last error and the events
           it rejected (as the running agent last recorded them)
  doctor   checks the config, each source, the certificate as collectors will
           judge it (role agent, the configured domains covered, expiry), that each
           syslog port is free, the spool folder and each collector's health
           service; a verdict per check (exit 1 if any FAIL)
  install  Linux: writes and enables a systemd unit; Windows: registers a service
           through WinSW (node.exe alone cannot answer the Service Control Manager).
           Needs root / Administrator; --dry-run prints the steps instead
  uninstall  undoes install

Data folder (the spool): the config's dataDir if set, else --data-dir or FSSO_DATA_DIR
(an installed service sets it: /var/lib/fsso-dc-agent, %ProgramData%\\fsso-dc-agent),
else "data" beside the config file.

Formats:
${describeFormats()}

Examples:
  fsso-dc-agent parse --format windows-xml security.xml
  wevtutil qe Security /f:xml /c:1000 | fsso-dc-agent parse --format windows-xml -
  fsso-dc-agent run --config /etc/fsso/dc-agent.json
`;

/** `run --until-delivered`: every event was acknowledged, but a collector refused some of them. */
export const EXIT_REJECTED = 4;

export function main(argv: string[]): void {
  runCli('fsso-dc-agent', async () => {
    const { values, positionals } = parseCommandLine('fsso-dc-agent', argv, {
      config: { type: 'string' }, format: { type: 'string' }, domain: { type: 'string' }, stats: { type: 'boolean' }, 'self-traffic': { type: 'string' },
      'until-delivered': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      'dry-run': { type: 'boolean' }, 'data-dir': { type: 'string' }, name: { type: 'string' }, winsw: { type: 'string' }, platform: { type: 'string' }, 'unit-dir': { type: 'string' },
    });
    const [command, file] = positionals;
    // --data-dir is FSSO_DATA_DIR for this command: how an operator's shell sees what the service sees.
    const dataDir = values['data-dir'];
    if (typeof dataDir === 'string') {
      if (dataDir.trim() === '') throw new UsageError('--data-dir needs a folder, e.g. --data-dir /var/lib/fsso-dc-agent');
      process.env[DATA_DIR_ENV] = resolve(dataDir);
    }
    if (values['help'] || !command) {
      process.stdout.write(HELP);
      return command || values['help'] ? 0 : 2;
    }
    switch (command) {
      case 'parse':
        return parse(values, file);
      case 'run':
        return run(configPath(values), values['until-delivered'] === true);
      case 'status':
        return status(configPath(values), values['json'] === true);
      case 'doctor':
        return doctorCommand(values);
      case 'install':
      case 'uninstall':
        return serviceCommand(command, values);
      default:
        throw new UsageError(`unknown command '${command}'; see 'fsso-dc-agent --help'`);
    }
  });
}

function configPath(values: Record<string, string | boolean | undefined>): string {
  const f = values['config'];
  if (typeof f !== 'string') throw new UsageError("this command needs --config FILE; see 'fsso-dc-agent --help'");
  return f;
}

async function parse(values: Record<string, string | boolean | undefined>, file: string | undefined): Promise<number> {
  const name = values['format'];
  if (typeof name !== 'string') throw new UsageError(`parse needs --format, one of ${formatNames().join(', ')}`);
  const format = getFormat(name);
  if (!format) throw new UsageError(`--format ${name} is unknown; use one of ${formatNames().join(', ')}`);
  if (!file) throw new UsageError("parse needs a FILE (or '-' for standard input)");
  const splitter = format.createSplitter();
  const self = values['self-traffic'] ?? 'drop';
  if (self !== 'drop' && self !== 'keep') throw new UsageError(`--self-traffic ${String(self)}: use "drop" (the default) or "keep"`);
  // No interface check here: a recorded file may come from another host than this one (see self-traffic.ts in @fsso/formats).
  const parser = format.createParser({ defaultDomain: typeof values['domain'] === 'string' ? values['domain'].toUpperCase() : '', selfTraffic: self });
  const stats = { records: 0, events: 0, skipped: {} as Record<string, number> };
  const input = file === '-' ? process.stdin : createReadStream(file);
  const handle = (records: string[]): void => {
    let out = '';
    for (const r of records) {
      stats.records++;
      const res = parser(r);
      if (res.skipped) stats.skipped[res.skipped] = (stats.skipped[res.skipped] ?? 0) + 1;
      for (const e of res.events) out += `${JSON.stringify(e)}\n`;
      stats.events += res.events.length;
    }
    if (out) process.stdout.write(out);
  };
  for await (const chunk of input) handle(splitter.push(chunk as Buffer));
  handle(splitter.end());
  if (values['stats']) {
    process.stderr.write(`${stats.records} records, ${stats.events} events\n`);
    for (const [why, n] of Object.entries(stats.skipped).sort((a, b) => b[1] - a[1])) process.stderr.write(`  skipped ${String(n).padStart(6)}  ${why}\n`);
  }
  return 0;
}

async function run(file: string, untilDelivered: boolean): Promise<number> {
  const cfg = resolveAgentConfig(readJsonConfig(file), dirname(resolve(file)));
  const log = createLogger('dc-agent', cfg.log);
  const agent = new DcAgent(cfg, log);
  agent.start();
  let code = 0;
  await new Promise<void>((done) => {
    let signals = 0;
    const stop = (why: string): void => {
      log.info('shutting down', { reason: why });
      void agent.stop().then(done);
    };
    const onSignal = (sig: NodeJS.Signals): void => {
      if (++signals > 1) process.exit(130);
      stop(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (untilDelivered) {
      void agent.delivered().then(() => {
        const rejected = agent.rejected;
        const total = Object.values(rejected).reduce((a, b) => a + b, 0);
        if (agent.failedSources.length) {
          code = 1;
          stop(`sources failed: ${agent.failedSources.join(', ')}`);
        } else if (total > 0) {
          // Acknowledged is not delivered: a refused event never reaches the table, and a script
          // waiting on --until-delivered must not take it for success.
          code = EXIT_REJECTED;
          log.error('collectors rejected events; not every event was delivered', { rejected, fix: "see the 'collector rejected events' lines for why; 'fsso-dc-agent status' shows the last reason" });
          stop(`${total} event(s) rejected`);
        } else stop('every event delivered');
      });
    }
  });
  await flushLogger(log as Logger);
  return code;
}
