const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * Offsets (minutes east of UTC) of the zone abbreviations FreeRADIUS prints after
 * Event-Timestamp. Ambiguous ones (CST, IST) are left out: a wrong guess would be hours off,
 * and an unknown zone falls back to a better clock (see `radiusEventTime`).
 */
const ZONES: Readonly<Record<string, number>> = {
  UTC: 0,
  GMT: 0,
  Z: 0,
  WET: 0,
  WEST: 60,
  BST: 60,
  CET: 60,
  CEST: 120,
  EET: 120,
  EEST: 180,
  MSK: 180,
  WIB: 420,
  SGT: 480,
  HKT: 480,
  JST: 540,
  KST: 540,
  AEST: 600,
  AEDT: 660,
  NZST: 720,
  NZDT: 780,
  EST: -300,
  EDT: -240,
  CDT: -300,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
};

export interface RadiusTime {
  ms: number;
  /** The zone was known; otherwise the time was read as this machine's local time. */
  exact: boolean;
}

/** `Event-Timestamp`: Unix seconds, or `Jun  9 2015 00:03:47 CEST` as FreeRADIUS prints it. */
export function parseEventTimestamp(raw: string): RadiusTime | null {
  const s = raw.trim();
  if (/^\d{9,11}$/.test(s)) return { ms: Number(s) * 1000, exact: true };
  const m = /^([A-Za-z]{3}) +(\d{1,2}) (\d{4}) (\d\d):(\d\d):(\d\d)(?: +([A-Za-z]{1,5}|[+-]\d\d:?\d\d))?$/.exec(s);
  if (!m) return null;
  const month = MONTHS.indexOf((m[1] ?? '').toLowerCase());
  if (month < 0) return null;
  const [y, d, hh, mm, ss] = [m[3], m[2], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  const offset = zoneOffset(m[7]);
  if (offset === null) return { ms: new Date(y, month, d, hh, mm, ss).getTime(), exact: false };
  return { ms: Date.UTC(y, month, d, hh, mm, ss) - offset * 60_000, exact: true };
}

/** The line that opens a detail record, `Tue Jun  9 00:03:48 2015`, in the server's local time. */
export function parseDetailHeader(line: string): number | null {
  const m = /^(?:[A-Za-z]{3} +)?([A-Za-z]{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4})$/.exec(line.trim());
  if (!m) return null;
  const month = MONTHS.indexOf((m[1] ?? '').toLowerCase());
  if (month < 0) return null;
  return new Date(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])).getTime();
}

function zoneOffset(zone: string | undefined): number | null {
  if (zone === undefined) return null;
  const numeric = /^([+-])(\d\d):?(\d\d)$/.exec(zone);
  if (numeric) return (numeric[1] === '-' ? -1 : 1) * (Number(numeric[2]) * 60 + Number(numeric[3]));
  return ZONES[zone.toUpperCase()] ?? null;
}
