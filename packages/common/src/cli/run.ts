import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FssoError, errorMessage } from '../errors';
import { printable } from './printable';

export type ParsedArgs = ReturnType<typeof parseArgs>;

/** parseArgs with a message that names the bad flag and points at --help. */
export function parseCommandLine(command: string, args: string[], options: NonNullable<ParseArgsConfig['options']>): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
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

/**
 * Runs a CLI entry point: usage errors exit 2, other known errors exit 1 with their message and
 * code (no stack trace for things the user can fix), bugs exit 1 with the stack.
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
  body().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.stderr.write(`${name}: ${printable(err.message)}\n`);
        process.exitCode = 2;
      } else if (err instanceof FssoError) {
        // Messages can quote a peer's words (a collector's error details): escaped like any.
        process.stderr.write(`${name}: ${printable(err.message)} [${err.code}]\n`);
        process.exitCode = 1;
      } else {
        process.stderr.write(`${name}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exitCode = 1;
      }
    },
  );
}
