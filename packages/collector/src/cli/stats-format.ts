import { formatAge, formatTime, printable, type Stats__Output } from '@fsso/common';

/** Words for each counter of `fssoctl stats`, in the order shown; fields not listed follow, in words. */
const LABELS: readonly (readonly [keyof Stats__Output | string, string])[] = [
  ['state', 'state'],
  ['version', 'version'],
  ['startedMs', 'started'],
  ['database', 'database'],
  ['collectorId', 'collector id'],
  ['tableId', 'table id'],
  ['revision', 'table revision'],
  ['logons', 'entries'],
  ['eventsAccepted', 'events accepted'],
  ['rejected', 'events rejected'],
  ['duplicates', 'duplicate events'],
  ['clockSkewed', 'events from a skewed clock'],
  ['expired', 'entries expired'],
  ['contested', 'contested claims'],
  ['outOfAuthority', 'refused: out of authority'],
  ['agentsConnected', 'agents connected'],
  ['syncSubscribers', 'sync subscribers'],
  ['openStreams', 'open streams'],
  ['denied', 'calls denied (role)'],
  ['limitHits', 'limit hits'],
  ['ntlm', 'proxy authentication'],
];

/** "eventsAccepted" -> "events accepted", for fields a newer collector sends that this list does not know. */
export function words(camel: string): string {
  return camel
    .replace(/Ms$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

/**
 * `fssoctl stats` for people: one counter a line, in words, aligned; maps (limit hits) as indented
 * lines below their name; times with their zone and age.
 */
export function renderStats(s: Stats__Output, now = Date.now()): string {
  const known = new Set(LABELS.map(([k]) => k));
  const rows: [string, unknown, string][] = [
    ...LABELS.filter(([k]) => k in s).map(([k, label]): [string, unknown, string] => [
      label,
      (s as unknown as Record<string, unknown>)[k],
      k,
    ]),
    ...Object.entries(s)
      .filter(([k]) => !known.has(k))
      .map(([k, v]): [string, unknown, string] => [words(k), v, k]),
  ];
  const nested = rows.flatMap(([, v]) => (isMap(v) ? Object.keys(v).map((k) => `  ${words(k)}`) : []));
  const width = Math.max(...rows.map(([l]) => l.length), ...nested.map((n) => n.length)) + 2;
  const out: string[] = [];
  for (const [label, v, key] of rows) {
    if (isMap(v)) {
      const entries = Object.entries(v).sort(([a], [b]) => a.localeCompare(b));
      if (entries.length === 0) out.push(`${label.padEnd(width)}none`);
      else {
        out.push(label);
        for (const [k, n] of entries) out.push(`${`  ${words(k)}`.padEnd(width)}${String(n)}`);
      }
    } else if (key.endsWith('Ms')) {
      const ms = Number(v);
      out.push(`${label.padEnd(width)}${ms ? `${formatTime(ms)} (${formatAge(ms, now)})` : '-'}`);
    } else out.push(`${label.padEnd(width)}${v === '' ? '-' : String(v)}`);
  }
  return out.map(printable).join('\n');
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
