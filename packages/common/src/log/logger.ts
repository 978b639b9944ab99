import winston from 'winston';
import { ConfigError } from '../errors';
import { ensurePrivateFile } from '../config/file-modes';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** Where and how a daemon logs. */
export interface LogOptions {
  /** @default 'info' */
  level?: LogLevel;
  /** Write JSON lines to this file instead of standard output. */
  file?: string | undefined;
  /**
   * 'json' (one object per line) or 'pretty' (for people).
   * @default 'pretty' on a terminal, 'json' otherwise
   */
  format?: 'json' | 'pretty' | undefined;
}

export type Logger = winston.Logger;

export function validateLogOptions(raw: unknown, field = 'log'): Required<Pick<LogOptions, 'level'>> & LogOptions {
  if (raw === undefined) return { level: 'info' };
  if (typeof raw !== 'object' || raw === null)
    throw new ConfigError(`${field}: expected an object like {"level": "info"}`, field);
  const o = raw as Record<string, unknown>;
  const level = o['level'] ?? 'info';
  if (typeof level !== 'string' || !LEVELS.includes(level as LogLevel)) {
    throw new ConfigError(
      `${field}.level: ${JSON.stringify(level)} is not a level; use one of ${LEVELS.join(', ')}`,
      `${field}.level`,
    );
  }
  const file = o['file'];
  if (file !== undefined && typeof file !== 'string')
    throw new ConfigError(`${field}.file: expected a path`, `${field}.file`);
  const format = o['format'];
  if (format !== undefined && format !== 'json' && format !== 'pretty') {
    throw new ConfigError(`${field}.format: ${JSON.stringify(format)}; use "json" or "pretty"`, `${field}.format`);
  }
  return { level: level as LogLevel, file, format };
}

/**
 * A winston logger: JSON lines to a file or to stdout for machines, colourised text on a
 * terminal. `component` is added to every line so mixed logs can be told apart.
 */
export function createLogger(component: string, opts: LogOptions = {}): Logger {
  const pretty = (opts.format ?? (opts.file === undefined && process.stdout.isTTY ? 'pretty' : 'json')) === 'pretty';
  const format = pretty
    ? winston.format.combine(
        winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
        winston.format.colorize(),
        winston.format.printf((info) => {
          const { timestamp, level, message, component: c, ...rest } = info;
          const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
          return `${String(timestamp)} ${level} [${String(c)}] ${String(message)}${extra}`;
        }),
      )
    : winston.format.combine(winston.format.timestamp(), winston.format.json());
  // Log lines name users and addresses: the file is 0600 whatever the umask (also rotated ones,
  // which winston opens with the same options).
  if (opts.file) ensurePrivateFile(opts.file);
  const transport = opts.file
    ? new winston.transports.File({ filename: opts.file, options: { flags: 'a', mode: 0o600 } })
    : new winston.transports.Stream({ stream: process.stdout });
  return winston.createLogger({
    level: opts.level ?? 'info',
    defaultMeta: { component },
    format,
    transports: [transport],
  });
}

/** Resolves when everything logged so far has been written (call before exiting). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (!done) {
        done = true;
        resolve();
      }
    };
    logger.on('finish', finish);
    setTimeout(finish, 500).unref();
    logger.end();
  });
}

/**
 * `--log-level` beats `FSSO_LOG_LEVEL`, which beats the config file's `log.level`: a one-off
 * `--log-level debug` must not need an edited config. A bad value names where it came from.
 */
export function logLevelOverride(flag: unknown, env: NodeJS.ProcessEnv = process.env): LogLevel | undefined {
  const [value, where] = typeof flag === 'string' ? [flag, '--log-level'] : [env['FSSO_LOG_LEVEL'], 'FSSO_LOG_LEVEL'];
  if (value === undefined || value === '') return undefined;
  if (!LEVELS.includes(value as LogLevel))
    throw new ConfigError(`${where}: ${JSON.stringify(value)} is not a level; use one of ${LEVELS.join(', ')}`, where);
  return value as LogLevel;
}
