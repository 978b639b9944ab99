/**
 * Timestamps as the Windows inputs write them:
 *   XML `SystemTime`    2015-11-12T00:24:35.0797852Z (Windows, 7 digits) or .079785200Z (libevtx, 9)
 *   Winlogbeat          2020-04-01T08:45:44.1717416Z
 *   OTRF / Azure        2023-07-19T09:02:19.922Z, 2021-08-02T13:06:38.33Z
 *   NXLog `EventTime`   2020-06-09 22:51:02 (no zone)
 * `Date.parse` is not used because its handling of more than 3 fractional digits and of
 * zone-less date-times is implementation-defined; here both are explicit.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Milliseconds since the epoch, or NaN when the text is not a date-time. Fractions beyond
 * milliseconds are truncated (not rounded) so an event never moves into the next millisecond.
 * A time without a zone is taken as UTC: callers that know better must say so themselves.
 */
export function parseWindowsTime(text: string | undefined): number {
  const m = ISO.exec((text ?? '').trim());
  if (!m) return NaN;
  const n = (i: number): number => Number(m[i] ?? '0');
  const ms = Number(((m[7] ?? '') + '000').slice(0, 3));
  const month = n(2);
  const day = n(3);
  if (month < 1 || month > 12 || day < 1 || day > 31 || n(4) > 23 || n(5) > 59 || n(6) > 60) return NaN;
  const base = Date.UTC(n(1), month - 1, day, n(4), n(5), n(6), ms);
  return base - zoneOffsetMs(m[8]);
}

function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
}
