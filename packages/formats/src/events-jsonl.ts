import { EVENT_KINDS, normaliseIp } from '@fsso/common';
import type { AgentEvent, RecordResult } from './model';
import { LineSplitter, type SourceFormat } from './format';

const FIELDS: readonly (keyof AgentEvent)[] = [
  'kind',
  'user',
  'domain',
  'ip',
  'workstation',
  'mac',
  'eventTimeMs',
  'source',
  'sourceEventId',
  'logonType',
  'reporter',
];

/**
 * The agent's own normalised events, one JSON object per line, exactly as `fsso-dc-agent parse`
 * prints them: for replaying what was parsed, and for `fsso-collector simulate` scenarios.
 * `eventTime` (ISO) may stand in for `eventTimeMs`; missing text fields are empty.
 */
export const eventsJsonlFormat: SourceFormat = {
  name: 'events',
  description: "the agent's normalised events as JSON lines (what 'parse' prints); for replays and scenarios",
  createSplitter: () => new LineSplitter(),
  createParser:
    () =>
    (line: string): RecordResult => {
      const text = line.trim();
      if (text === '' || text.startsWith('#') || text.startsWith('//')) return { events: [], skipped: 'comment' };
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return { events: [], skipped: 'not JSON' };
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        return { events: [], skipped: 'not a JSON object' };
      const o = parsed as Record<string, unknown>;
      if (!(EVENT_KINDS as readonly unknown[]).includes(o['kind']))
        return { events: [], skipped: `kind ${JSON.stringify(o['kind'])} is not one of ${EVENT_KINDS.join(', ')}` };
      const time = typeof o['eventTimeMs'] === 'number' ? o['eventTimeMs'] : Date.parse(String(o['eventTime'] ?? ''));
      if (!Number.isFinite(time)) return { events: [], skipped: 'no eventTimeMs or eventTime' };
      const logonType = o['logonType'] ?? 0;
      if (!Number.isInteger(logonType) || (logonType as number) < 0)
        return { events: [], skipped: 'logonType is not a whole number' };
      const e = { eventTimeMs: time, logonType } as Record<string, unknown>;
      for (const f of FIELDS) if (!(f in e)) e[f] = typeof o[f] === 'string' ? o[f] : '';
      // Replayed events pass the same address check as every source's.
      if (e['ip'] !== '') {
        const ip = normaliseIp(e['ip'] as string);
        if (ip === null) return { events: [], skipped: 'ip is not a client address' };
        e['ip'] = ip;
      }
      return { events: [e as unknown as AgentEvent] };
    },
};
