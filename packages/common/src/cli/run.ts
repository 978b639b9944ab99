import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FssoError, errorMessage } from '../errors';
import { printable } from './printable';

export type ParsedArgs = ReturnType<typeof parseArgs>;

/**
 * parseArgs with a message that names the bad flag, suggests the flag that was probably meant, and
 * points at --help. `--help`/`-h` and `--version`/`-V` are known to every command.
 */
export function parseCommandLine(command: string, args: string[], options: NonNullable<ParseArgsConfig['options']>): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const all: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'V' }, ...options };
  try {
    const r = parseArgs({ args, options: all, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (err) {
    const code = (err as { code?: string }).code;
    const unknown = /^Unknown option '(-{1,2}[^']*)'/.exec(errorMessage(err))?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
      const guess = didYouMean(unknown.replace(/^-+/, '').replace(/=.*$/, ''), Object.keys(all));
      throw new UsageError(`unknown option ${unknown}${guess ? `; did you mean --${guess}?` : ''} (see '${command} --help')`);
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
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
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
  if (extra.length) throw new UsageError(`unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((a) => `'${a}'`).join(' ')}; usage: ${usage} (see '${command} --help')`);
}

/** An unknown command, with the closest known one. */
export function unknownCommand(command: string, name: string, known: readonly string[]): UsageError {
  if (name === '') return new UsageError(`'${command}' needs a command: ${known.join(', ')} (see '${command} --help')`);
  const guess = didYouMean(name, known);
  return new UsageError(`unknown command '${name}'${guess ? `; did you mean '${command} ${guess}'?` : `; the commands are ${known.join(', ')}`} (see '${command} --help')`);
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
