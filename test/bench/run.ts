/**
 * `npm run bench`: runs the scenarios of scenarios/index.ts against real processes, prints one
 * Markdown table (figure | value | baseline | ratio | target | met) and writes bench/results.json
 * with the machine it ran on. Benchmarks are never part of `npm test`, and assert nothing: a
 * missed target is marked, not failed.
 *
 *   npm run bench                  every scenario, median of 3 where a scenario repeats
 *   npm run bench -- --quick       smaller tables, one run each: the whole bench in under a minute
 *   npm run bench -- --only NAME   one scenario (repeatable)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../support/paths';
import type { BenchRow, Scenario } from './harness/types';
import { SCENARIOS } from './scenarios/index';

/** Units where less is better: their ratio is baseline / value, so >= 1 always means "at the baseline". */
const LOWER_IS_BETTER = new Set(['ms', 's', 'µs', 'us', 'MiB', 'KiB', 'bytes']);

interface Args {
  quick: boolean;
  only: string[];
}

function parseArgs(argv: string[]): Args {
  const out: Args = { quick: false, only: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') out.quick = true;
    else if (a === '--only') {
      const name = argv[++i];
      if (!name) usage('--only needs a scenario name');
      out.only.push(name);
    } else if (a?.startsWith('--only=')) out.only.push(a.slice('--only='.length));
    else usage(`unknown argument ${JSON.stringify(a)}`);
  }
  const unknown = out.only.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length) usage(`no scenario named ${unknown.join(', ')}`);
  return out;
}

function usage(problem: string): never {
  console.error(
    `npm run bench: ${problem}\nusage: npm run bench -- [--quick] [--only NAME]...\nscenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`,
  );
  process.exit(2);
}

/** The ratio as the row gives it, else computed from the baseline. */
export function ratioOf(r: BenchRow): number | undefined {
  if (r.ratio !== undefined) return r.ratio;
  if (!r.baseline || r.baseline.value === 0 || r.value === 0) return undefined;
  return LOWER_IS_BETTER.has(r.unit) ? r.baseline.value / r.value : r.value / r.baseline.value;
}

function num(n: number): string {
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function table(rows: (BenchRow & { scenario: string })[]): string {
  const lines = ['| figure | value | baseline | ratio | target | met |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    const ratio = ratioOf(r);
    const base = r.baseline ? `${num(r.baseline.value)} ${r.baseline.unit} (${r.baseline.name})` : '—';
    const met = r.met === undefined ? '—' : r.met ? 'yes' : '**MISSED**';
    const value = `${num(r.value)} ${r.unit}`;
    lines.push(
      `| ${r.figure} | ${r.met === false ? `**${value}**` : value} | ${base} | ${ratio === undefined ? '—' : ratio.toFixed(2)} | ${r.target ?? '—'} | ${met} |`,
    );
  }
  return lines.join('\n');
}

async function runScenario(s: Scenario, quick: boolean): Promise<BenchRow[]> {
  const t0 = Date.now();
  process.stderr.write(`bench: ${s.name}…\n`);
  try {
    const rows = await s.run({ quick });
    process.stderr.write(`bench: ${s.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    return rows;
  } catch (err) {
    // One broken scenario must not hide the others' figures.
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`bench: ${s.name} failed: ${message}\n`);
    return [{ figure: `${s.name}: failed`, value: 0, unit: '', notes: message.slice(0, 300) }];
  }
}

async function main(): Promise<void> {
  process.noDeprecation = true;
  const args = parseArgs(process.argv.slice(2));
  const chosen = args.only.length ? SCENARIOS.filter((s) => args.only.includes(s.name)) : SCENARIOS;
  const started = Date.now();
  const rows: (BenchRow & { scenario: string })[] = [];
  for (const s of chosen) for (const r of await runScenario(s, args.quick)) rows.push({ ...r, scenario: s.name });
  const cpu = cpus();
  const machine = {
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? '?',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${platform()} ${release()}`,
    date: new Date().toISOString(),
  };
  const out = {
    machine,
    quick: args.quick,
    scenarios: chosen.map((s) => ({ name: s.name, title: s.title })),
    seconds: Math.round((Date.now() - started) / 100) / 10,
    rows: rows.map((r) => ({ ...r, ratio: ratioOf(r) })),
  };
  mkdirSync(join(ROOT, 'bench'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(
    `FSSO bench${args.quick ? ' (--quick)' : ''}: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, node ${machine.node}, ${machine.os}, ${machine.date} (${out.seconds} s)\n`,
  );
  console.log(table(rows));
  for (const r of rows.filter((x) => x.notes)) console.log(`\n- ${r.figure}: ${r.notes}`);
  const missed = rows.filter((r) => r.met === false).length;
  console.log(`\n${missed ? `${missed} target(s) missed` : 'every target met'}; results in bench/results.json`);
  // Scenarios share seeded collectors and replicas across the run (stopped by pid on 'exit');
  // exiting here is what stops them, instead of waiting on their open streams for ever.
  process.exit(0);
}

void main();
