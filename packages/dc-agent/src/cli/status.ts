import { dirname, resolve } from 'node:path';
import { formatAge, readJsonConfig } from '@fsso/common';
import { resolveAgentConfig } from '../config';
import { Spool } from '../spool/spool';
import { readLinkStatus, type LinkStatus } from '../delivery/link-report';

/** One collector as `status` shows it. */
export interface CollectorStatusRow {
  collector: string;
  address: string;
  acked: number;
  backlog: number;
  /** As the running agent last recorded it; undefined if the agent never ran with this collector. */
  link: LinkStatus | undefined;
}

/**
 * `fsso-dc-agent status`: the spool, and per collector what it acknowledged and what the agent
 * last recorded about the link (state and since when, last error, rejected events). The daemon
 * writes those into the spool's meta table, so this separate process can show them.
 */
export function status(
  file: string,
  json: boolean,
  out: (s: string) => void = (s) => void process.stdout.write(s),
): number {
  const cfg = resolveAgentConfig(readJsonConfig(file), dirname(resolve(file)));
  const spool = new Spool(cfg.spool);
  try {
    const rows: CollectorStatusRow[] = cfg.collectors.map((c) => ({
      collector: c.name,
      address: c.address,
      acked: spool.cursor(c.name),
      backlog: spool.head - spool.cursor(c.name),
      link: readLinkStatus(spool, c.name),
    }));
    if (json) {
      out(
        `${JSON.stringify({ spool: cfg.spool, spoolId: spool.spoolId, head: spool.head, held: spool.pending(), collectors: rows })}\n`,
      );
      return 0;
    }
    out(`spool ${cfg.spool}: newest event ${spool.head}, ${spool.pending()} held\n`);
    for (const r of rows) out(describeRow(r));
  } finally {
    spool.close();
  }
  return 0;
}

const STATE_WORDS: Record<LinkStatus['state'], string> = {
  STREAMING: 'connected',
  BACKOFF: 'FAILING, retrying',
  CONNECTING: 'connecting',
  STOPPED: 'stopped (the agent is not running)',
};

function describeRow(r: CollectorStatusRow, now = Date.now()): string {
  const lines = [`  ${r.collector} (${r.address}): acked ${r.acked}, backlog ${r.backlog}`];
  const l = r.link;
  if (!l) {
    lines.push('    state: unknown (the agent has not run with this collector yet)');
  } else {
    lines.push(`    state: ${STATE_WORDS[l.state] ?? l.state} since ${when(l.sinceMs, now)}`);
    if (l.lastError) lines.push(`    last error: ${l.lastError} (since ${when(l.lastErrorSinceMs ?? l.sinceMs, now)})`);
    if (l.rejected > 0)
      lines.push(
        `    rejected: ${l.rejected} event(s); last: ${l.lastRejection ?? '?'} (at ${when(l.lastRejectionMs ?? 0, now)})`,
      );
  }
  return `${lines.join('\n')}\n`;
}

/** "2026-12-01 08:40:12 UTC, 3m ago": a local time with its zone, and its age. */
export function when(ms: number, now = Date.now()): string {
  if (!ms) return 'an unknown time';
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  const zone =
    new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((x) => x.type === 'timeZoneName')
      ?.value ?? '';
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${zone}, ${formatAge(ms, now)}`.replace(
    ' ,',
    ',',
  );
}
