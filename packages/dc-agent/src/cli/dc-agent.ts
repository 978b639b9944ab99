import { dirname, resolve } from 'node:path';
import {
  MetricsEndpoint, UsageError, commonFlags, type CommandHelp, VERSION, createLogger, logLevelOverride, flushLogger, parseCommandLine, readJsonConfig, runCli, type Logger,
} from '@fsso/common';
import { resolveAgentConfig } from '../config';
import { DcAgent } from '../agent';
import { agentMetrics } from '../metrics';
import { Spool } from '../spool/spool';
import { describeFormats } from '../sources/registry';
import { doctorCommand, serviceCommand } from './service-commands';
import { parseCommand } from './parse-command';

const HELP = `fsso-dc-agent ${VERSION}: reads logon evidence on a domain controller and streams it to collectors.

Usage:
  fsso-dc-agent run --config FILE [--until-delivered] [--log-level LEVEL]
  fsso-dc-agent parse --format FORMAT [--domain D] [--stats] FILE|-
  fsso-dc-agent parse --config FILE [--source NAME] [--stats] FILE|-
  fsso-dc-agent status --config FILE [--json]
  fsso-dc-agent doctor --config FILE [--json]
  fsso-dc-agent install --config FILE [--dry-run] [--name N] [--winsw WinSW-x64.exe]
  fsso-dc-agent uninstall --config FILE [--dry-run] [--name N] [--winsw WinSW-x64.exe]

Commands:
  run      the daemon; with --until-delivered it exits once every source has ended
           and every collector acknowledged every event; --log-level (error, warn,
           info, debug) beats FSSO_LOG_LEVEL, which beats "log.level" in the config
  parse    print the events a file would produce, one JSON object per line
           (--stats: a summary of records, events and skip reasons on stderr);
           with --config, that config's source format, filters and folding apply
  status   the spool: newest event, what each collector acknowledged, backlog
  doctor   checks the config, each source, the spool folder and each collector's
           health service; a verdict per check (exit 1 if any FAIL)
  install  Linux: writes and enables a systemd unit; Windows: registers a service
           through WinSW (node.exe alone cannot answer the Service Control Manager).
           Needs root / Administrator; --dry-run prints the steps instead
  uninstall  undoes install

Formats:
${describeFormats()}

Examples:
  fsso-dc-agent parse --format windows-xml security.xml
  wevtutil qe Security /f:xml /c:1000 | fsso-dc-agent parse --format windows-xml -
  fsso-dc-agent run --config /etc/fsso/dc-agent.json
`;

const COMMANDS: Record<string, CommandHelp> = {
  run: {
    usage: 'run --config FILE [--until-delivered] [--log-level LEVEL]', args: 1,
    about: 'The daemon: sources -> spool -> each collector, and the Prometheus endpoint when "metrics" is configured.\n--until-delivered exits once every source ended and every collector acknowledged every event.\n--log-level (error, warn, info, debug) beats FSSO_LOG_LEVEL, which beats "log.level".',
    examples: ['fsso-dc-agent run --config /etc/fsso/dc-agent.json', 'fsso-dc-agent run --config dc-agent.json --until-delivered --log-level debug'],
  },
  parse: {
    usage: 'parse (--format FORMAT [--domain D] | --config FILE [--source NAME]) [--stats] FILE|-', args: 2,
    about: `The events a file would produce, one JSON object per line. With --config, the file is read as that config's
source (its format and domain), and the config's filters and folding are applied: exactly what the agent would
send. --stats: records, events, skip reasons, and (with --config) what the filters dropped and folded, on stderr.

Formats:
${describeFormats()}`,
    examples: ['fsso-dc-agent parse --format windows-xml security.xml', 'fsso-dc-agent parse --config /etc/fsso/dc-agent.json --stats security.xml > /dev/null'],
  },
  status: { usage: 'status --config FILE [--json]', args: 1, about: 'The spool: newest event, what each collector acknowledged, backlog.', examples: ['fsso-dc-agent status --config /etc/fsso/dc-agent.json'] },
  doctor: {
    usage: 'doctor --config FILE [--json]', args: 1,
    about: "Checks the config, each source, the spool folder and each collector's health service; a verdict per check\n(exit 1 if any FAIL).",
    examples: ['fsso-dc-agent doctor --config /etc/fsso/dc-agent.json'],
  },
  install: {
    usage: 'install --config FILE [--dry-run] [--name N] [--winsw WinSW-x64.exe]', args: 1,
    about: 'Linux: writes and enables a systemd unit; Windows: registers a service through WinSW. Needs root /\nAdministrator; --dry-run prints the steps instead.',
    examples: ['fsso-dc-agent install --config /etc/fsso/dc-agent.json --dry-run'],
  },
  uninstall: {
    usage: 'uninstall --config FILE [--dry-run] [--name N] [--winsw WinSW-x64.exe]', args: 1,
    about: 'Undoes install.', examples: ['fsso-dc-agent uninstall --config /etc/fsso/dc-agent.json'],
  },
};

export function main(argv: string[]): void {
  runCli('fsso-dc-agent', async () => {
    const { values, positionals } = parseCommandLine('fsso-dc-agent', argv, {
      config: { type: 'string' }, format: { type: 'string' }, domain: { type: 'string' }, stats: { type: 'boolean' },
      'until-delivered': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      'dry-run': { type: 'boolean' }, name: { type: 'string' }, winsw: { type: 'string' }, platform: { type: 'string' }, 'unit-dir': { type: 'string' },
      'log-level': { type: 'string' }, source: { type: 'string' },
    });
    const handled = commonFlags('fsso-dc-agent', HELP, COMMANDS, values, positionals);
    if (handled !== undefined) return handled;
    const [command, file] = positionals;
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
      void agent.stop().then(() => metrics?.stop()).then(done);
    };
    const onSignal = (sig: NodeJS.Signals): void => {
      if (++signals > 1) process.exit(130);
      stop(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (untilDelivered) {
      void agent.delivered().then(() => {
        if (agent.failedSources.length) {
          code = 1;
          stop(`sources failed: ${agent.failedSources.join(', ')}`);
        } else stop('every event delivered');
      });
    }
  });
  await flushLogger(log as Logger);
  return code;
}

function status(file: string, json: boolean): number {
  const cfg = resolveAgentConfig(readJsonConfig(file), dirname(resolve(file)));
  const spool = new Spool(cfg.spool);
  try {
    const rows = cfg.collectors.map((c) => ({ collector: c.name, address: c.address, acked: spool.cursor(c.name), backlog: spool.head - spool.cursor(c.name) }));
    if (json) process.stdout.write(`${JSON.stringify({ spool: cfg.spool, spoolId: spool.spoolId, head: spool.head, held: spool.pending(), collectors: rows })}\n`);
    else {
      process.stdout.write(`spool ${cfg.spool}: newest event ${spool.head}, ${spool.pending()} held\n`);
      for (const r of rows) process.stdout.write(`  ${r.collector} (${r.address}): acked ${r.acked}, backlog ${r.backlog}\n`);
    }
  } finally {
    spool.close();
  }
  return 0;
}
