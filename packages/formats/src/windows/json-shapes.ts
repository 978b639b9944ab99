import type { WindowsRecord } from './record';
import { parseWindowsTime } from './time';

/**
 * The JSON shapes Windows Security events are shipped in, each reduced to a `WindowsRecord`:
 *   Winlogbeat 7/8 (ECS)   winlog.event_id "4624", winlog.event_data{}, winlog.computer_name, @timestamp
 *   Winlogbeat 6           event_id 4624, event_data{}, computer_name, @timestamp
 *   NXLog im_msvistalog    EventID, Hostname, EventTime "2020-06-09 22:51:02", EventData fields flat
 *   OTRF flat export       EventID, Hostname, TimeCreated, EventData fields flat
 *   Azure SecurityEvent    EventID, Computer, TimeGenerated, Account "DOMAIN\user", fields flat
 */
type Obj = Record<string, unknown>;

function asObj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

/** The scalar members of an object as text (Azure and NXLog write numbers: `"LogonType": 3`). */
function scalars(o: Obj | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o ?? {})) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}

function eventId(v: unknown): number {
  const s = str(v).trim();
  return /^\d+$/.test(s) ? Number(s) : NaN;
}

export function jsonToWindowsRecord(value: unknown): WindowsRecord | string {
  const o = asObj(value);
  if (o === undefined) return 'not a Windows event: not a JSON object';
  const winlog = asObj(o['winlog']);
  if (winlog !== undefined) return winlogbeat(o, winlog);
  if ('event_id' in o) return winlogbeat6(o);
  if ('EventID' in o) return flat(o);
  return 'not a Windows event: no winlog, event_id or EventID';
}

function build(id: number, computer: string, timeMs: number, data: Record<string, string>): WindowsRecord | string {
  if (!Number.isInteger(id)) return 'not a Windows event: no numeric event id';
  return { eventId: id, computer: computer.trim(), timeMs, data };
}

function winlogbeat(o: Obj, winlog: Obj): WindowsRecord | string {
  const ecsEvent = asObj(o['event']);
  const id = eventId(winlog['event_id'] ?? ecsEvent?.['code']);
  const computer = str(winlog['computer_name']) || str(asObj(o['host'])?.['name']);
  return build(id, computer, parseWindowsTime(str(o['@timestamp'])), scalars(asObj(winlog['event_data'])));
}

function winlogbeat6(o: Obj): WindowsRecord | string {
  return build(
    eventId(o['event_id']),
    str(o['computer_name']),
    parseWindowsTime(str(o['@timestamp'])),
    scalars(asObj(o['event_data'])),
  );
}

function flat(o: Obj): WindowsRecord | string {
  const data = scalars(o);
  // Azure rows may lack the EventData name but always carry "DOMAIN\user" in Account.
  if (data['TargetUserName'] === undefined && str(o['Type']) === 'SecurityEvent') {
    const account = str(o['TargetAccount']) || str(o['Account']);
    if (account !== '') data['TargetUserName'] = account;
  }
  const computer = str(o['Hostname']) || str(o['Computer']);
  return build(eventId(o['EventID']), computer, flatTime(o), data);
}

/**
 * The event's own time. A time with a zone wins. NXLog `EventTime` (and some OTRF `TimeCreated`)
 * carry none: NXLog writes its host's local time, 4-5 hours off in the recorded data. A shipper's
 * UTC `@timestamp` (Logstash's receive time, seconds later) is closer to the truth than a guessed
 * zone, so it is preferred over a zone-less time; the zone-less time, taken as UTC, is the last resort.
 */
function flatTime(o: Obj): number {
  let zoneless = NaN;
  for (const key of ['TimeCreated', 'EventTime', 'TimeGenerated', '@timestamp']) {
    const t = str(o[key]);
    if (t === '') continue;
    if (/(Z|[+-]\d{2}:?\d{2})$/i.test(t.trim())) return parseWindowsTime(t);
    if (Number.isNaN(zoneless)) zoneless = parseWindowsTime(t);
  }
  return zoneless;
}
