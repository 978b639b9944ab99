import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FssoError, NotFoundError, PeerError, errorMessage } from '../errors';
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

/** parseArgs with a message that names the bad flag and points at --help. `--debug` is taken by runCli. */
export function parseCommandLine(command: string, args: string[], options: NonNullable<ParseArgsConfig['options']>): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: args.filter((a) => a !== '--debug'), options, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (err) {
    throw new UsageError(`${errorMessage(err)}; see '${command} --help'`);
  }
}

/** The command line itself is wrong: print the message and exit 2. */
export class UsageError extends FssoError {
  constructor(message: string) {
    super('FSSO_USAGE', message);
  }
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such file or folder', EACCES: 'permission denied', EPERM: 'operation not permitted', EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder', EROFS: 'read-only file system', ENOSPC: 'no space left on the device', ELOOP: 'too many symbolic links',
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
  const fix = code === 'ENOENT' ? 'check the path' : code === 'EACCES' || code === 'EPERM' ? 'check its owner and permissions' : 'check the path';
  const msg = `cannot use ${err.path}: ${words} (${code}); ${fix}`;
  return code === 'ENOENT' ? new NotFoundError(msg) : new FssoError('FSSO_FILE', msg);
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
        const stack = debug && err instanceof Error ? `\n${err.stack ?? ''}` : ' (run again with --debug for the stack trace, and report it)';
        process.stderr.write(`${name}: unexpected error: ${printable(errorMessage(err))}${stack}\n`);
        process.exitCode = EXIT.internal;
      }
    },
  );
}
