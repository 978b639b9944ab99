import { printable } from './printable';

/**
 * Renders rows as an aligned text table that fits a terminal: long cells are cut with '…'.
 * Cells often hold text from agents, so control characters are shown escaped, never sent raw.
 */
export function renderTable(
  rawHeaders: readonly string[],
  rawRows: readonly (readonly string[])[],
  width = process.stdout.columns || 120,
): string {
  const headers = rawHeaders.map(printable);
  const rows = rawRows.map((r) => r.map(printable));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  // Shrink the widest columns until the table fits (2 spaces between columns).
  const total = (): number => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  while (total() > width) {
    const widest = widths.indexOf(Math.max(...widths));
    if ((widths[widest] ?? 0) <= 8) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  const cell = (s: string, w: number): string => (s.length > w ? `${s.slice(0, Math.max(0, w - 1))}…` : s.padEnd(w));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => cell(c, widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/**
 * "2026-11-23 12:00:01 UTC" or "2026-11-23 13:00:01 +01:00": local time with its zone, because a
 * time read off a terminal is compared with logs of other machines; '' for 0.
 */
export function formatTime(ms: number): string {
  if (!ms) return '';
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${zoneOf(d)}`;
}

/** "UTC", or the offset from it as "+01:00" / "-05:00" (names like CET are ambiguous). */
export function zoneOf(d: Date): string {
  const off = -d.getTimezoneOffset();
  if (off === 0) return 'UTC';
  const a = Math.abs(off);
  return `${off > 0 ? '+' : '-'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** "3s ago", "5m ago", "2h ago". */
export function formatAge(ms: number, now = Date.now()): string {
  if (!ms) return '';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 5400) return `${Math.round(s / 60)}m ago`;
  if (s < 172800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}
