import { dirname, resolve } from 'node:path';
import {
  DATA_DIR_ENV,
  MetricsEndpoint,
  UsageError,
  commonFlags,
  type CommandHelp,
  VERSION,
  createLogger,
  logLevelOverride,
  flushLogger,
  parseCommandLine,
  readJsonConfig,
  runCli,
  type Logger,
} from '@fsso/common';
import { resolveAgentConfig } from '../config';
import { DcAgent } from '../agent';
import { agentMetrics } from '../metrics';
import { describeFormats } from '@fsso/formats';
import { doctorCommand, serviceCommand } from './service-commands';
import { parseCommand } from './parse-command';
import { status } from './status';

const HELP = `fsso-dc-agent ${VERSION}: reads logon evidence on a domain controller and streams it to collectors.

Usage:
  fsso-dc-agent run --config FILE [--until-delivered] [--log-level LEVEL] [--data-dir DIR]
  fsso-dc-agent parse --format FORMAT [--domain D] [--stats] [--self-traffic keep] FILE|-
  fsso-dc-agent parse --config FILE [--source NAME] [--stats] [--self-traffic keep] FILE|-
  fsso-dc-agent status --config FILE [--json] [--data-dir DIR]
  fsso-dc-agent doctor --config FILE [--json] [--data-dir DIR]
  fsso-dc-agent install --config FILE [--dry-run] [--name N] [--winsw WinSW-x64.exe]
  fsso-dc-agent uninstall --config FILE [--dry-run] [--name N] [--winsw WinSW-x64.exe]

Commands:
  run      the daemon; with --until-delivered it exits once every source has ended
           and every collector acknowledged every event: 0 if all were accepted,
           1 if a source failed, 4 if a collector rejected any event; --log-level
           (error, warn, info, debug) beats FSSO_LOG_LEVEL, which beats "log.level"
  parse    print the events a file would produce, one JSON object per line
           (--stats: a summary of records, events and skip reasons on stderr;
           --self-traffic keep: map logons from the server's own address too);
           with --config, that config's source format, filters and folding apply
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

const COMMANDS: Record<string, CommandHelp> = {
  run: {
    usage: 'run --config FILE [--until-delivered] [--log-level LEVEL] [--data-dir DIR]',
    args: 1,
    about:
      'The daemon: sources -> spool -> each collector, and the Prometheus endpoint when "metrics" is configured.\n--until-delivered exits once every source ended and every collector acknowledged every event: 0 if all were\naccepted, 1 if a source failed, 4 if a collector rejected any event. --data-dir DIR: where the spool lives\n(FSSO_DATA_DIR; an installed service uses its state directory).\n--log-level (error, warn, info, debug) beats FSSO_LOG_LEVEL, which beats "log.level".',
    examples: [
      'fsso-dc-agent run --config /etc/fsso/dc-agent.json',
      'fsso-dc-agent run --config dc-agent.json --until-delivered --log-level debug',
    ],
  },
  parse: {
    usage:
      'parse (--format FORMAT [--domain D] | --config FILE [--source NAME]) [--stats] [--self-traffic keep] FILE|-',
    args: 2,
    about: `The events a file would produce, one JSON object per line. With --config, the file is read as that config's
source (its format and domain), and the config's filters and folding are applied: exactly what the agent would
send. --stats: records, events, skip reasons, and (with --config) what the filters dropped and folded, on stderr.
--self-traffic keep: map logons from the server's own address too (dropped by default).

Formats:
${describeFormats()}`,
    examples: [
      'fsso-dc-agent parse --format windows-xml security.xml',
      'fsso-dc-agent parse --config /etc/fsso/dc-agent.json --stats security.xml > /dev/null',
    ],
  },
  status: {
    usage: 'status --config FILE [--json] [--data-dir DIR]',
    args: 1,
    about:
      "The spool: newest event, and per collector what it acknowledged, the backlog, the link's state and since when,\nits last error and the events it rejected (as the running agent last recorded them).",
    examples: ['fsso-dc-agent status --config /etc/fsso/dc-agent.json'],
  },
  doctor: {
    usage: 'doctor --config FILE [--json] [--data-dir DIR]',
    args: 1,
    about:
      "Checks the config, each source, the certificate as collectors will judge it (role agent, the configured domains\ncovered, expiry), that each syslog port is free, the spool folder and each collector's health service; a verdict\nper check (exit 1 if any FAIL).",
    examples: ['fsso-dc-agent doctor --config /etc/fsso/dc-agent.json'],
  },
  install: {
    usage: 'install --config FILE [--dry-run] [--name N] [--winsw WinSW-x64.exe]',
    args: 1,
    about:
      'Linux: writes and enables a systemd unit; Windows: registers a service through WinSW. Needs root /\nAdministrator; --dry-run prints the steps instead.',
    examples: ['fsso-dc-agent install --config /etc/fsso/dc-agent.json --dry-run'],
  },
  uninstall: {
    usage: 'uninstall --config FILE [--dry-run] [--name N] [--winsw WinSW-x64.exe]',
    args: 1,
    about: 'Undoes install.',
    examples: ['fsso-dc-agent uninstall --config /etc/fsso/dc-agent.json'],
  },
};

export function main(argv: string[]): void {
  runCli('fsso-dc-agent', async () => {
    const { values, positionals } = parseCommandLine('fsso-dc-agent', argv, {
      config: { type: 'string' },
      format: { type: 'string' },
      domain: { type: 'string' },
      stats: { type: 'boolean' },
      'self-traffic': { type: 'string' },
      'until-delivered': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      'dry-run': { type: 'boolean' },
      'data-dir': { type: 'string' },
      name: { type: 'string' },
      winsw: { type: 'string' },
      platform: { type: 'string' },
      'unit-dir': { type: 'string' },
      'log-level': { type: 'string' },
      source: { type: 'string' },
    });
    const handled = commonFlags('fsso-dc-agent', HELP, COMMANDS, values, positionals);
    if (handled !== undefined) return handled;
    const [command, file] = positionals;
    // --data-dir is FSSO_DATA_DIR for this command: how an operator's shell sees what the service sees.
    const dataDir = values['data-dir'];
    if (typeof dataDir === 'string') {
      if (dataDir.trim() === '')
        throw new UsageError('--data-dir needs a folder, e.g. --data-dir /var/lib/fsso-dc-agent');
      process.env[DATA_DIR_ENV] = resolve(dataDir);
    }
    switch (command) {
      case 'parse':
        return parseCommand(values, file);
      case 'run':
        return run(configPath(values), values['until-delivered'] === true, values['log-level']);
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

async function run(file: string, untilDelivered: boolean, logLevel: string | boolean | undefined): Promise<number> {
  const cfg = resolveAgentConfig(readJsonConfig(file), dirname(resolve(file)));
  const level = logLevelOverride(logLevel);
  const log = createLogger('dc-agent', level ? { ...cfg.log, level } : cfg.log);
  const agent = new DcAgent(cfg, log);
  // Bound before the agent starts: a taken metrics port is a start-up error, not a silent gap.
  const metrics = cfg.metrics ? new MetricsEndpoint(agentMetrics(agent), cfg.metrics, log) : undefined;
  await metrics?.start();
  agent.start();
  let code = 0;
  await new Promise<void>((done) => {
    let signals = 0;
    const stop = (why: string): void => {
      log.info('shutting down', { reason: why });
      void agent
        .stop()
        .then(() => metrics?.stop())
        .then(done);
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
          log.error('collectors rejected events; not every event was delivered', {
            rejected,
            fix: "see the 'collector rejected events' lines for why; 'fsso-dc-agent status' shows the last reason",
          });
          stop(`${total} event(s) rejected`);
        } else stop('every event delivered');
      });
    }
  });
  await flushLogger(log as Logger);
  return code;
}
