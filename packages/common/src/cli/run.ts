import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FileError, FssoError, NotFoundError, PeerError, errorMessage } from '../errors';
import { diagnoseConnection, isOpaqueFailure, rememberedLinks } from './diagnose';
import { printable } from './printable';

export type ParsedArgs = ReturnType<typeof parseArgs>;

/**
 * Exit codes by class, the same in every command (README, "Exit codes"). Scripts can tell "you
 * typed it wrong" from "nothing there" from "it broke" without parsing the message.
 */
export const EXIT = {
  ok: 0,
  /** A known failure (configuration, a refused or unreachable peer, a deny from `fsso-fw check`). */
  error: 1,
  /** The command line is wrong. */
  usage: 2,
  /** What was asked for does not exist: an address nobody is at, a file that is not there. */
  notFound: 3,
  /** A bug: an error we did not expect. The stack is printed with --debug. */
  internal: 70,
} as const;

/** `--debug` (anywhere on the command line) or FSSO_DEBUG=1: print stacks of unexpected errors. */
export function debugRequested(argv = process.argv, env = process.env): boolean {
  return argv.includes('--debug') || env['FSSO_DEBUG'] === '1' || env['FSSO_DEBUG'] === 'true';
}

/**
 * parseArgs with a message that names the bad flag, suggests the flag that was probably meant, and
 * points at --help. `--help`/`-h` and `--version`/`-V` are known to every command; `--debug` is taken by runCli.
 */
export function parseCommandLine(
  command: string,
  args: string[],
  options: NonNullable<ParseArgsConfig['options']>,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const all: NonNullable<ParseArgsConfig['options']> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'V' },
    ...options,
  };
  try {
    const r = parseArgs({
      args: args.filter((a) => a !== '--debug'),
      options: all,
      allowPositionals: true,
      strict: true,
    });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (err) {
    const code = (err as { code?: string }).code;
    const unknown = /^Unknown option '(-{1,2}[^']*)'/.exec(errorMessage(err))?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
      const guess = didYouMean(unknown.replace(/^-+/, '').replace(/=.*$/, ''), Object.keys(all));
      throw new UsageError(
        `unknown option ${unknown}${guess ? `; did you mean --${guess}?` : ''} (see '${command} --help')`,
      );
    }
    throw new UsageError(`${errorMessage(err)}; see '${command} --help'`);
  }
}

/** The known word closest to `word` (edit distance at most 2, or a prefix), or undefined. */
export function didYouMean(word: string, known: readonly string[]): string | undefined {
  let best: { w: string; d: number } | undefined;
  for (const k of known) {
    const d = k.startsWith(word) && word.length >= 2 ? 0.5 : editDistance(word.toLowerCase(), k.toLowerCase());
    if (d <= Math.min(2, Math.max(1, Math.floor(k.length / 3))) && (!best || d < best.d)) best = { w: k, d };
  }
  return best?.w;
}

/** Edits between two words, a swap of neighbours counting as one ("tabel" is one from "table"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return at(a.length, b.length);
}

/**
 * Positional arguments past what a command takes are a mistake (a forgotten quote, a flag without
 * its dashes), not something to ignore: `usage` is the command's usage line.
 */
export function expectArgs(positionals: readonly string[], max: number, command: string, usage: string): void {
  const extra = positionals.slice(max);
  if (extra.length)
    throw new UsageError(
      `unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((a) => `'${a}'`).join(' ')}; usage: ${usage} (see '${command} --help')`,
    );
}

/** An unknown command, with the closest known one. */
export function unknownCommand(command: string, name: string, known: readonly string[]): UsageError {
  if (name === '') return new UsageError(`'${command}' needs a command: ${known.join(', ')} (see '${command} --help')`);
  const guess = didYouMean(name, known);
  return new UsageError(
    `unknown command '${name}'${guess ? `; did you mean '${command} ${guess}'?` : `; the commands are ${known.join(', ')}`} (see '${command} --help')`,
  );
}

/** The command line itself is wrong: print the message and exit 2. */
export class UsageError extends FssoError {
  constructor(message: string) {
    super('FSSO_USAGE', message);
  }
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  ELOOP: 'too many symbolic links',
};

/**
 * A file-system error thrown by Node (`open 'x.pem'`) as one line naming the file and the fix, or
 * undefined for anything else. So a typo in a path never shows a stack trace.
 */
export function fileSystemError(err: unknown): FssoError | undefined {
  if (!(err instanceof Error) || !('code' in err) || !('path' in err) || typeof err.path !== 'string') return undefined;
  const code = String(err.code);
  const words = ERRNO_WORDS[code];
  if (!words) return undefined;
  const fix =
    code === 'ENOENT'
      ? 'check the path'
      : code === 'EACCES' || code === 'EPERM'
        ? 'check its owner and permissions'
        : 'check the path';
  const msg = `cannot use ${err.path}: ${words} (${code}); ${fix}`;
  return code === 'ENOENT' ? new NotFoundError(msg) : new FileError(msg, err.path, code);
}

/**
 * A peer failure in grpc-js's words ("Failed to connect", an OpenSSL record dump) retold after
 * probing the address: refused, plaintext, another CA, our certificate refused. Undefined when
 * the error is not such a failure or the probe finds nothing to add.
 */
async function explainPeerFailure(err: unknown): Promise<FssoError | undefined> {
  if (!(err instanceof PeerError) || !isOpaqueFailure(err.message)) return undefined;
  for (const [address, security] of rememberedLinks()) {
    if (!err.message.includes(address)) continue;
    const why = await diagnoseConnection(address, security).catch(() => undefined);
    if (why) return new PeerError(why, { cause: err });
  }
  return undefined;
}

/**
 * Runs a CLI entry point: usage errors exit 2, "not found" 3, other known errors 1 with their
 * message and code (no stack trace for things the user can fix), bugs 70 with a message, and
 * their stack only with --debug.
 */
export function runCli(name: string, body: () => Promise<number | void>): void {
  // grpc-js passes the target host as TLS server name, and Node warns (DEP0123) when it is an IP
  // address; that is expected when connecting to a collector by address.
  process.noDeprecation = true;
  // `cmd | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const debug = debugRequested();
  body().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    async (thrown: unknown) => {
      const err = fileSystemError(thrown) ?? (await explainPeerFailure(thrown)) ?? thrown;
      if (err instanceof UsageError) {
        process.stderr.write(`${name}: ${printable(err.message)}\n`);
        process.exitCode = EXIT.usage;
      } else if (err instanceof FssoError) {
        // Messages can quote a peer's words (a collector's error details): escaped like any.
        process.stderr.write(`${name}: ${printable(err.message)} [${err.code}]\n`);
        if (debug && thrown instanceof Error && thrown.stack) process.stderr.write(`${thrown.stack}\n`);
        process.exitCode = err instanceof NotFoundError ? EXIT.notFound : EXIT.error;
      } else {
        const stack =
          debug && err instanceof Error
            ? `\n${err.stack ?? ''}`
            : ' (run again with --debug for the stack trace, and report it)';
        process.stderr.write(`${name}: unexpected error: ${printable(errorMessage(err))}${stack}\n`);
        process.exitCode = EXIT.internal;
      }
    },
  );
}
