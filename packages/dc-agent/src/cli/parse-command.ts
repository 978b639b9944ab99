import { createReadStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError, readJsonConfig } from '@fsso/common';
import { resolveAgentConfig, type SourceConfig } from '../config';
import { Shaper, formatNames, getFormat, type ParseOptions } from '@fsso/formats';

type Values = Record<string, string | boolean | undefined>;

/** Where `parse` takes its format, parse options and (with --config) its filters from. */
function plan(values: Values): {
  format: string;
  parse: ParseOptions;
  shaper: Shaper | undefined;
  source: string | undefined;
} {
  const configFile = values['config'];
  if (typeof configFile !== 'string') {
    const name = values['format'];
    if (typeof name !== 'string')
      throw new UsageError(`parse needs --format (one of ${formatNames().join(', ')}) or --config FILE`);
    return {
      format: name,
      parse: { defaultDomain: typeof values['domain'] === 'string' ? values['domain'].toUpperCase() : '' },
      shaper: undefined,
      source: undefined,
    };
  }
  const cfg = resolveAgentConfig(readJsonConfig(configFile), dirname(resolve(configFile)));
  const files = cfg.sources.filter((s): s is Extract<SourceConfig, { kind: 'file' }> => s.kind === 'file');
  const wanted = values['source'];
  const src =
    typeof wanted === 'string'
      ? files.find((s) => s.name === wanted)
      : typeof values['format'] === 'string'
        ? files.find((s) => s.format === values['format'])
        : files[0];
  const format = typeof values['format'] === 'string' ? values['format'] : src?.format;
  if (!format) {
    const names = files.map((s) => s.name);
    throw new UsageError(
      typeof wanted === 'string'
        ? `${configFile} has no file source named ${wanted}; its file sources are ${names.join(', ') || 'none'}`
        : `${configFile} has no file source to take the format from; pass --format`,
    );
  }
  const parse = {
    ...(src?.parse ?? { defaultDomain: '' }),
    ...(typeof values['domain'] === 'string' ? { defaultDomain: values['domain'].toUpperCase() } : {}),
  };
  return { format, parse, shaper: new Shaper(cfg.filters), source: src?.name };
}

/**
 * `fsso-dc-agent parse`: the events a file would produce, one JSON line each. With --config the
 * config's filters and folding run too, so the output is what the agent would really send.
 */
export async function parseCommand(values: Values, file: string | undefined): Promise<number> {
  const plain = plan(values);
  const self = values['self-traffic'] ?? plain.parse.selfTraffic ?? 'drop';
  if (self !== 'drop' && self !== 'keep')
    throw new UsageError(`--self-traffic ${String(self)}: use "drop" (the default) or "keep"`);
  // No interface check here: a recorded file may come from another host than this one (see sources/self-traffic.ts).
  const p = { ...plain, parse: { ...plain.parse, selfTraffic: self as 'drop' | 'keep' } };
  const format = getFormat(p.format);
  if (!format) throw new UsageError(`--format ${p.format} is unknown; use one of ${formatNames().join(', ')}`);
  if (!file) throw new UsageError("parse needs a FILE (or '-' for standard input)");
  const splitter = format.createSplitter();
  const parser = format.createParser(p.parse);
  const stats = { records: 0, events: 0, sent: 0, skipped: {} as Record<string, number> };
  const input = file === '-' ? process.stdin : createReadStream(file);
  const handle = (records: string[]): void => {
    let out = '';
    for (const r of records) {
      stats.records++;
      const res = parser(r);
      if (res.skipped) stats.skipped[res.skipped] = (stats.skipped[res.skipped] ?? 0) + 1;
      stats.events += res.events.length;
      const kept = p.shaper ? p.shaper.shape(res.events) : res.events;
      stats.sent += kept.length;
      for (const e of kept) out += `${JSON.stringify(e)}\n`;
    }
    if (out) process.stdout.write(out);
  };
  try {
    for await (const chunk of input) handle(splitter.push(chunk as Buffer));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR')
      throw new UsageError(`cannot read ${file} (${code}); pass a readable file, or '-' for standard input`);
    throw err;
  }
  handle(splitter.end());
  if (values['stats']) {
    const w = (s: string): boolean => process.stderr.write(`${s}\n`);
    w(
      `${stats.records} records, ${stats.events} events${p.shaper ? `, ${stats.sent} would be sent (filters and folding of ${String(values['config'])}${p.source ? `, source ${p.source}` : ''})` : ''}`,
    );
    for (const [why, n] of Object.entries(stats.skipped).sort((a, b) => b[1] - a[1]))
      w(`  skipped ${String(n).padStart(6)}  ${why}`);
    if (p.shaper)
      for (const [what, n] of Object.entries(p.shaper.stats))
        if (n) w(`  ${words(what).padEnd(14)}${String(n).padStart(6)}`);
  }
  return 0;
}

/** "ignoredUser" -> "ignored user", "coalesced" -> "folded" (the README's word for it). */
function words(key: string): string {
  if (key === 'coalesced') return 'folded';
  return key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
