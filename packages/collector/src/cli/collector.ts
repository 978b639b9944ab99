import { dirname, resolve } from 'node:path';
import {
  ConfigError, VERSION, commonFlags, type CommandHelp, createLogger, logLevelOverride, flushLogger, parseCommandLine, readJsonConfig, runCli, UsageError,
} from '@fsso/common';
import { resolveCollectorConfig } from '../config';
import { Collector } from '../collector';
import { simulateCommand } from './simulate';

const HELP = `fsso-collector ${VERSION}: keeps the IP -> user/groups table and serves agents, firewalls and operators.

Usage:
  fsso-collector serve --config FILE [--listen HOST:PORT] [--insecure] [--log-level LEVEL]
  fsso-collector simulate --format FORMAT FILE... [--at TIME] [--json]
                 [--dead-entry-timeout 8h] [--config FILE] [--shape | --agent-config FILE]

Commands:
  serve     the daemon
  simulate  run recorded events (any 'fsso-dc-agent parse' format, e.g. windows-xml,
            samba-audit, dhcp-isc, or 'events' JSON lines) through the real identity rules
            with a simulated clock, and print the table as of --at (default: the last event);
            --shape first applies the agent's default filters and folding, --agent-config FILE
            that agent's "filters", so the table is the one the live agent -> collector pipeline gives

Options:
  --config FILE       JSON config (see README, "Collector configuration")
  --listen HOST:PORT  override "listen" from the config (port 0 picks a free port)
  --insecure          serve plaintext gRPC (labs only; warned about)
  --log-level LEVEL   error, warn, info or debug; beats FSSO_LOG_LEVEL, which beats "log.level"
  -h, --help          this help

Examples:
  fsso-collector serve --config /etc/fsso/collector.json
  fsso-collector simulate --format events test/scenarios/roam-wifi-to-lan-dhcp.jsonl --at 2026-11-23T09:30:00Z
`;

const COMMANDS: Record<string, CommandHelp> = {
  serve: {
    usage: 'serve --config FILE [--listen HOST:PORT] [--insecure] [--log-level LEVEL]', args: 1,
    about: 'The daemon: the gRPC port for agents, firewalls and operators, and the Prometheus endpoint when\n"metrics" is configured. --log-level (error, warn, info, debug) beats FSSO_LOG_LEVEL, which beats "log.level".',
    examples: ['fsso-collector serve --config /etc/fsso/collector.json', 'FSSO_LOG_LEVEL=debug fsso-collector serve --config collector.json --listen 127.0.0.1:0'],
  },
  simulate: {
    usage: 'simulate --format FORMAT FILE... [--at TIME] [--json] [--dead-entry-timeout 8h] [--config FILE] [--domain D]', args: Infinity,
    about: "Recorded events (any 'fsso-dc-agent parse' format, or 'events' JSON lines) through the real identity rules\non a simulated clock; prints the table as of --at (default: the last event).",
    examples: ['fsso-collector simulate --format events test/scenarios/roam-wifi-to-lan-dhcp.jsonl --at 2026-11-23T09:30:00Z'],
  },
};

export function main(argv: string[]): void {
  runCli('fsso-collector', async () => {
    const { values, positionals } = parseCommandLine('fsso-collector', argv, {
      config: { type: 'string' }, listen: { type: 'string' }, insecure: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      format: { type: 'string' }, at: { type: 'string' }, json: { type: 'boolean' }, domain: { type: 'string' }, 'dead-entry-timeout': { type: 'string' },
      shape: { type: 'boolean' }, 'agent-config': { type: 'string' },
      'log-level': { type: 'string' },
    });
    const handled = commonFlags('fsso-collector', HELP, COMMANDS, values, positionals);
    if (handled !== undefined) return handled;
    if (positionals[0] === 'simulate') return simulateCommand(values, positionals.slice(1));
    if (positionals[0] !== 'serve') throw new UsageError(`unknown command '${positionals[0]}'; the commands are 'serve' and 'simulate' (see --help)`);
    const file = values['config'];
    if (typeof file !== 'string') throw new UsageError("serve needs --config FILE; see 'fsso-collector --help'");
    const raw = readJsonConfig(file);
    if (typeof values['listen'] === 'string') raw['listen'] = values['listen'];
    if (values['insecure']) raw['insecure'] = true;
    const config = resolveCollectorConfig(raw, dirname(resolve(file)));
    const level = logLevelOverride(values['log-level']);
    const log = createLogger('collector', level ? { ...config.log, level } : config.log);
    const collector = new Collector(config, log);
    await serveUntilSignal(collector, log);
    return 0;
  });
}

/** Runs until SIGINT/SIGTERM; a second signal exits at once. */
async function serveUntilSignal(collector: Collector, log: ReturnType<typeof createLogger>): Promise<void> {
  try {
    await collector.start();
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    log.error('collector failed to start', { error: err instanceof Error ? err.message : String(err) });
    await collector.stop();
    await flushLogger(log);
    throw err;
  }
  await new Promise<void>((done) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) {
        log.warn('second signal: exiting without draining', { signal: sig });
        process.exit(130);
      }
      log.info('shutting down', { signal: sig });
      void collector.stop().then(done);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await flushLogger(log);
}
