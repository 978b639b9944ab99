import { VERSION } from '../version';
import { type UsageError, expectArgs, unknownCommand } from './run';

/** One command of a CLI, for its own `--help` and for the tool's overview. */
export interface CommandHelp {
  /** "who IP [--at TIME] [--json]" (without the tool's name). */
  usage: string;
  /** What it does, in a sentence or two. */
  about: string;
  /** Complete command lines that work as shown. */
  examples: readonly string[];
  /** How many positional arguments it takes, the command words included ("pki show FILE": 3). */
  args: number;
  /** Extra text (connection flags, formats) shown below. */
  more?: string;
}

/** `TOOL COMMAND --help`: usage, what it does, and an example. */
export function renderCommandHelp(tool: string, h: CommandHelp): string {
  return [
    `Usage: ${tool} ${h.usage}`,
    '',
    h.about,
    ...(h.more ? ['', h.more] : []),
    '',
    h.examples.length > 1 ? 'Examples:' : 'Example:',
    ...h.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

/**
 * The help for the longest command prefix of `positionals` ("pki issue" before "pki"), or
 * undefined when the words name no command.
 */
export function findCommandHelp(
  specs: Readonly<Record<string, CommandHelp>>,
  positionals: readonly string[],
): { name: string; help: CommandHelp } | undefined {
  for (let n = Math.min(2, positionals.length); n > 0; n--) {
    const name = positionals.slice(0, n).join(' ');
    const help = specs[name];
    if (help) return { name, help };
  }
  return undefined;
}

/**
 * What every CLI does the same way before its command runs: `--version`, `--help`, `COMMAND
 * --help` (and `help COMMAND`), no command, an unknown command ("did you mean"), and arguments
 * past what the command takes. Returns an exit code when the line was handled here.
 */
export function commonFlags(
  tool: string,
  overview: string,
  specs: Readonly<Record<string, CommandHelp>>,
  values: Record<string, unknown>,
  positionals: readonly string[],
): number | undefined {
  const print = (s: string): number => {
    process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
    return 0;
  };
  if (values['version']) return print(`${tool} ${VERSION}`);
  const asked = positionals[0] === 'help' ? positionals.slice(1) : values['help'] ? positionals : undefined;
  if (asked) {
    if (asked.length === 0) return print(overview);
    const found = findCommandHelp(specs, asked);
    if (found) return print(renderCommandHelp(tool, found.help));
    // "pki --help": the group's commands, each with its usage.
    const group = Object.entries(specs).filter(([n]) => n.startsWith(`${asked[0] ?? ''} `));
    if (group.length && asked.length === 1)
      return print(
        `${group.map(([, h]) => `Usage: ${tool} ${h.usage}\n  ${h.about.split('\n')[0] ?? ''}`).join('\n\n')}\n\n'${tool} ${asked[0] ?? ''} COMMAND --help' shows one with examples.\n`,
      );
    throw unknownCommandOf(tool, specs, asked);
  }
  if (positionals.length === 0) {
    process.stdout.write(overview);
    return 2;
  }
  const found = findCommandHelp(specs, positionals);
  if (!found) throw unknownCommandOf(tool, specs, positionals);
  expectArgs(positionals, found.help.args, `${tool} ${found.name}`, `${tool} ${found.help.usage}`);
  return undefined;
}

function unknownCommandOf(
  tool: string,
  specs: Readonly<Record<string, CommandHelp>>,
  words: readonly string[],
): UsageError {
  const names = Object.keys(specs);
  const first = words[0] ?? '';
  const subs = names.filter((n) => n.startsWith(`${first} `)).map((n) => n.slice(first.length + 1));
  if (subs.length && !specs[first]) return unknownCommand(`${tool} ${first}`, words[1] ?? '', subs);
  return unknownCommand(tool, first, [...new Set(names.map((n) => n.split(' ')[0] ?? n))]);
}
