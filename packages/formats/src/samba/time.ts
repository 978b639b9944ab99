/**
 * Samba writes `timestamp` as local time with a numeric offset and microseconds:
 * `2021-12-03T19:44:45.497062-0600` (no colon in the offset, which `Date.parse` does not promise
 * to accept), so it is parsed explicitly here.
 */
const SAMBA_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/i;

/** Unix epoch milliseconds, or NaN when the text is not such a time. Sub-milliseconds are truncated. */
export function parseSambaTime(text: string): number {
  const m = SAMBA_TIME.exec(text.trim());
  if (!m) return NaN;
  const n = (i: number): number => Number(m[i] ?? '0');
  const month = n(2);
  const day = n(3);
  if (month < 1 || month > 12 || day < 1 || day > 31 || n(4) > 23 || n(5) > 59 || n(6) > 60) return NaN;
  const ms = Number(((m[7] ?? '') + '000').slice(0, 3));
  return Date.UTC(n(1), month - 1, day, n(4), n(5), n(6), ms) - offsetMs(m[8] ?? 'Z');
}

function offsetMs(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
}
