import { dirname, resolve } from 'node:path';
import {
  ConfigError,
  VERSION,
  commonFlags,
  type CommandHelp,
  createLogger,
  logLevelOverride,
  flushLogger,
  parseCommandLine,
  readJsonConfig,
  runCli,
  UsageError,
} from '@fsso/common';
import { resolveCollectorConfig } from '../config';
import { Collector } from '../collector';
import { applyHeapPolicy } from '../heap-policy';
import { simulateCommand } from './simulate';
import { collectorDoctorCommand, collectorServiceCommand } from './service-commands';

const HELP = `fsso-collector ${VERSION}: keeps the IP -> user/groups table and serves agents, firewalls and operators.

Usage:
  fsso-collector serve --config FILE [--listen HOST:PORT] [--insecure] [--log-level LEVEL]
  fsso-collector simulate --format FORMAT FILE... [--at TIME] [--json]
                 [--dead-entry-timeout 8h] [--config FILE] [--shape | --agent-config FILE]
  fsso-collector doctor --config FILE [--json]
  fsso-collector install --config FILE [--dry-run] [--user NAME] [--name NAME] [--unit-dir DIR]
  fsso-collector uninstall [--dry-run] [--name NAME] [--unit-dir DIR]

Commands:
  serve     the daemon
  simulate  run recorded events (any 'fsso-dc-agent parse' format, e.g. windows-xml,
            samba-audit, dhcp-isc, or 'events' JSON lines) through the real identity rules
            with a simulated clock, and print the table as of --at (default: the last event);
            --shape first applies the agent's default filters and folding, --agent-config FILE
            that agent's "filters", so the table is the one the live agent -> collector pipeline gives
  doctor    check the config, the certificates (pair, EKU, role, expiry), the database,
            each LDAP directory (reach and bind), the port and the metrics listener;
            changes nothing; exit 1 if a check fails
  install   write a hardened systemd unit (own user, StateDirectory=fsso-collector,
            ProtectSystem=strict, NoNewPrivileges=yes, restart on failure) and start it;
            --dry-run prints every file and command instead
  uninstall stop and remove the unit (the user and /var/lib/fsso-collector are kept)

Options:
  --config FILE       JSON config (see README, "Collector configuration")
  --listen HOST:PORT  override "listen" from the config (port 0 picks a free port)
  --insecure          serve plaintext gRPC (labs only; warned about)
  --log-level LEVEL   error, warn, info or debug; beats FSSO_LOG_LEVEL, which beats "log.level"
  --debug             print the stack trace of an unexpected error
  -h, --help          this help

Examples:
  fsso-collector serve --config /etc/fsso/collector.json
  fsso-collector doctor --config /etc/fsso/collector.json
  sudo fsso-collector install --config /etc/fsso/collector.json --dry-run
  fsso-collector simulate --format events test/scenarios/roam-wifi-to-lan-dhcp.jsonl --at 2026-11-23T09:30:00Z
`;

const COMMANDS: Record<string, CommandHelp> = {
  serve: {
    usage: 'serve --config FILE [--listen HOST:PORT] [--insecure] [--log-level LEVEL]',
    args: 1,
    about:
      'The daemon: the gRPC port for agents, firewalls and operators, and the Prometheus endpoint when\n"metrics" is configured. --log-level (error, warn, info, debug) beats FSSO_LOG_LEVEL, which beats "log.level".',
    examples: [
      'fsso-collector serve --config /etc/fsso/collector.json',
      'FSSO_LOG_LEVEL=debug fsso-collector serve --config collector.json --listen 127.0.0.1:0',
    ],
  },
  simulate: {
    usage:
      'simulate --format FORMAT FILE... [--at TIME] [--json] [--dead-entry-timeout 8h] [--config FILE] [--domain D] [--shape | --agent-config FILE]',
    args: Infinity,
    about:
      "Recorded events (any 'fsso-dc-agent parse' format, or 'events' JSON lines) through the real identity rules\non a simulated clock; prints the table as of --at (default: the last event).",
    examples: [
      'fsso-collector simulate --format events test/scenarios/roam-wifi-to-lan-dhcp.jsonl --at 2026-11-23T09:30:00Z',
      'fsso-collector simulate --shape --format events test/scenarios/fold-after-roam.jsonl',
    ],
  },
  doctor: {
    usage: 'doctor --config FILE [--json]',
    args: 1,
    about:
      'Checks the config, the certificates (pair, EKU, role, expiry), the database, each LDAP directory (reach and\nbind), the port and the metrics listener; changes nothing; exit 1 if a check fails.',
    examples: [
      'fsso-collector doctor --config /etc/fsso/collector.json',
      'fsso-collector doctor --config collector.json --json',
    ],
  },
  install: {
    usage: 'install --config FILE [--dry-run] [--user NAME] [--name NAME] [--unit-dir DIR]',
    args: 1,
    about:
      'Writes a hardened systemd unit (own user, StateDirectory=fsso-collector, ProtectSystem=strict,\nNoNewPrivileges=yes, restart on failure) and starts it. Needs root; --dry-run prints every file and command.',
    examples: ['fsso-collector install --config /etc/fsso/collector.json --dry-run'],
  },
  uninstall: {
    usage: 'uninstall [--dry-run] [--name NAME] [--unit-dir DIR]',
    args: 1,
    about: 'Stops and removes the unit; the user and /var/lib/fsso-collector are kept.',
    examples: ['fsso-collector uninstall --dry-run'],
  },
};

export function main(argv: string[]): void {
  runCli('fsso-collector', async () => {
    const { values, positionals } = parseCommandLine('fsso-collector', argv, {
      config: { type: 'string' },
      listen: { type: 'string' },
      insecure: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      format: { type: 'string' },
      at: { type: 'string' },
      json: { type: 'boolean' },
      domain: { type: 'string' },
      'dead-entry-timeout': { type: 'string' },
      shape: { type: 'boolean' },
      'agent-config': { type: 'string' },
      'log-level': { type: 'string' },
      'dry-run': { type: 'boolean' },
      user: { type: 'string' },
      name: { type: 'string' },
      'unit-dir': { type: 'string' },
    });
    const handled = commonFlags('fsso-collector', HELP, COMMANDS, values, positionals);
    if (handled !== undefined) return handled;
    if (positionals[0] === 'simulate') return simulateCommand(values, positionals.slice(1));
    if (positionals[0] === 'doctor') return collectorDoctorCommand(values);
    if (positionals[0] === 'install' || positionals[0] === 'uninstall')
      return collectorServiceCommand(positionals[0], values);
    if (positionals[0] !== 'serve')
      throw new UsageError(
        `unknown command '${positionals[0]}'; the commands are serve, simulate, doctor, install and uninstall (see --help)`,
      );
    const file = values['config'];
    if (typeof file !== 'string') throw new UsageError("serve needs --config FILE; see 'fsso-collector --help'");
    const raw = readJsonConfig(file);
    if (typeof values['listen'] === 'string') raw['listen'] = values['listen'];
    if (values['insecure']) raw['insecure'] = true;
    const config = resolveCollectorConfig(raw, dirname(resolve(file)));
    const level = logLevelOverride(values['log-level']);
    const log = createLogger('collector', level ? { ...config.log, level } : config.log);
    applyHeapPolicy(log);
    const collector = new Collector(config, log);
    await serveUntilSignal(collector, log);
    return 0;
  });
}

/**
 * However the drain goes, the process ends this long after the first signal: systemd (and any
 * supervisor) must see it exit, never a process that logged "stopped" and lingers.
 */
const SHUTDOWN_BOUND_MS = 10_000;

/**
 * Runs until SIGINT/SIGTERM, then the one shutdown path (Collector.stop) and an explicit exit:
 * a handle left open (a socket, a timer of a library) must not keep the process alive. A second
 * signal exits at once (130); after the log is closed nothing writes to it again (that was the
 * "write after end" crash).
 */
async function serveUntilSignal(collector: Collector, log: ReturnType<typeof createLogger>): Promise<void> {
  try {
    await collector.start();
  } catch (err) {
    // Whatever the start left half open, the process ends with the error (never a hung start).
    setTimeout(() => process.exit(process.exitCode ?? 1), SHUTDOWN_BOUND_MS).unref();
    if (err instanceof ConfigError) throw err;
    log.error('collector failed to start', { error: err instanceof Error ? err.message : String(err) });
    await collector.stop().catch(() => undefined);
    await closeLog(log);
    throw err;
  }
  let logClosed = false;
  const again = (sig: NodeJS.Signals): void => {
    if (logClosed) process.stderr.write(`fsso-collector: second signal (${sig}): exiting without draining\n`);
    else log.warn('second signal: exiting without draining', { signal: sig });
    process.exit(130);
  };
  const signal = await new Promise<NodeJS.Signals>((resolveSignal) => {
    const first = (sig: NodeJS.Signals): void => {
      // Swapped in the same tick, so no signal ever finds no handler (and kills us unlogged).
      process.off('SIGINT', first).off('SIGTERM', first).on('SIGINT', again).on('SIGTERM', again);
      resolveSignal(sig);
    };
    process.on('SIGINT', first).on('SIGTERM', first);
  });
  log.info('shutting down', { signal });
  setTimeout(() => {
    process.stderr.write(`fsso-collector: shutdown did not finish within ${SHUTDOWN_BOUND_MS / 1000} s; exiting\n`);
    process.exit(1);
  }, SHUTDOWN_BOUND_MS).unref();
  let code = 0;
  try {
    await collector.stop();
  } catch (err) {
    code = 1;
    log.error('shutdown failed', { error: err instanceof Error ? err.message : String(err) });
  }
  logClosed = true;
  await closeLog(log);
  process.exit(code);
}

/** Flushes and ends the log; a late write from a closing component is dropped, not a crash. */
async function closeLog(log: ReturnType<typeof createLogger>): Promise<void> {
  log.on('error', () => undefined);
  await flushLogger(log);
}
