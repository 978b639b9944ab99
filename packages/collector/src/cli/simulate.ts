import { existsSync, readFileSync } from 'node:fs';
import {
  ConfigError,
  UsageError,
  formatAccount,
  formatTime,
  parseDuration,
  readJsonConfig,
  renderTable,
} from '@fsso/common';
import { Shaper, formatNames, getFormat, validateFilters, type AgentEvent, type ShaperStats } from '@fsso/formats';
import { validateIdentity } from '../config';
import { validateDomains } from '../authority/config';
import { simulate } from '../simulate/simulator';
import { evidenceOf } from '../identity/entry';
import { parseWhen } from './ctl';

type Values = Record<string, string | boolean | undefined>;

/**
 * `fsso-collector simulate`: recorded events (any agent `parse` format) through the real rules
 * with a simulated clock; prints the table as of a moment.
 */
export function simulateCommand(values: Values, files: string[]): number {
  const formatName = values['format'];
  if (typeof formatName !== 'string')
    throw new UsageError(`simulate needs --format, one of ${formatNames().join(', ')}`);
  const format = getFormat(formatName);
  if (!format) throw new UsageError(`--format ${formatName} is unknown; use one of ${formatNames().join(', ')}`);
  if (files.length === 0) throw new UsageError('simulate needs at least one FILE of recorded events');
  const parsed: AgentEvent[] = [];
  for (const f of files) {
    const split = format.createSplitter();
    const parse = format.createParser({
      defaultDomain: typeof values['domain'] === 'string' ? values['domain'].toUpperCase() : '',
    });
    for (const r of [...split.push(readFileSync(f)), ...split.end()]) parsed.push(...parse(r).events);
  }
  // With --shape the events go through the agent's own filters and folding first, as in the live pipeline.
  const shaper = agentShaper(values);
  const events = shaper ? shaper.shape(parsed) : parsed;
  let identityRaw: unknown;
  let domainsRaw: unknown;
  let dead = values['dead-entry-timeout'];
  if (typeof values['config'] === 'string') {
    const cfg = readJsonConfig(values['config']);
    identityRaw = cfg['identity'];
    domainsRaw = cfg['domains'];
    dead ??= cfg['deadEntryTimeout'] as string | undefined;
  }
  const deadMs = parseDuration(dead ?? '8h', '--dead-entry-timeout');
  const settings = { ...validateIdentity(identityRaw, deadMs).settings, domains: validateDomains(domainsRaw, []) };
  const atMs = typeof values['at'] === 'string' ? parseWhen(values['at']) : undefined;
  const r = simulate(events, settings, atMs);
  if (values['json']) {
    process.stdout.write(
      `${JSON.stringify({
        at: new Date(r.atMs).toISOString(),
        events: events.length,
        changes: r.changes.length,
        rejected: r.rejected.length,
        ...(shaper ? { shaped: { read: parsed.length, ...shaper.stats } } : {}),
        table: r.table.map((e) => ({
          ip: e.ip,
          user: e.user,
          domain: e.domain,
          workstation: e.workstation,
          shared: e.shared,
          contested: e.contested,
          lastSeen: new Date(e.lastSeenMs).toISOString(),
          rule: evidenceOf(e).at(-1)?.rule ?? '',
        })),
      })}\n`,
    );
  } else {
    if (shaper)
      process.stdout.write(
        `agent shaping: ${parsed.length} events read, ${events.length} passed (${describeShaping(shaper.stats)})\n`,
      );
    process.stdout.write(
      `table at ${formatTime(r.atMs)} after ${events.length} events (${r.changes.length} changes, ${r.rejected.length} rejected):\n`,
    );
    process.stdout.write(
      `${renderTable(
        ['IP', 'USER', 'WORKSTATION', 'LAST SEEN', 'BY RULE'],
        r.table.map((e) => [
          e.ip,
          e.shared ? '(shared)' : e.contested ? '(contested)' : formatAccount(e.user, e.domain),
          e.workstation || '-',
          formatTime(e.lastSeenMs),
          evidenceOf(e).at(-1)?.rule ?? '',
        ]),
      )}\n`,
    );
  }
  return 0;
}

/** `--shape` (the agent's default filters) or `--agent-config FILE` (that agent's `filters`); undefined for neither. */
function agentShaper(values: Values): Shaper | undefined {
  const file = values['agent-config'];
  if (typeof file === 'string') {
    if (!existsSync(file))
      throw new UsageError(
        `--agent-config ${file}: no such file; pass the agent's JSON config (its "filters" are applied)`,
      );
    try {
      // The same validation as the agent's own, so a bad filter fails here with the field it fails with there.
      return new Shaper(validateFilters(readJsonConfig(file)['filters']));
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(`--agent-config ${file}: ${err.message}`, err.field);
      throw err;
    }
  }
  return values['shape'] === true ? new Shaper() : undefined;
}

function describeShaping(s: ShaperStats): string {
  return `${s.coalesced} folded, ${s.ignoredUser} ignored users, ${s.ignoredNetwork} ignored networks, ${s.ignoredLogonType} ignored logon types`;
}
