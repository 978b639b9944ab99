import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLogger } from '@fsso/common';
import { WindowsEventLogSource, type CommandRunner } from '../src/readers/windows-eventlog/source';
import { recordIdOf, wevtutilArgs, SECURITY_EVENT_IDS } from '../src/readers/windows-eventlog/query';
import type { AgentEvent } from '@fsso/formats';

const DATA = process.env['FSSO_SHARED_DATA'] ?? resolve(__dirname, '../../../../../shared/data');
const log = createLogger('test', { level: 'error', format: 'json' });

/** Real records (a DC's Kerberos log) as wevtutil would print them after a given EventRecordID. */
const recorded =
  readFileSync(
    resolve(
      DATA,
      'windows_security/xml_rendered_libevtx/EVTX-to-MITRE-Attack__TA0007-Discovery_T1087-Account_discovery_ID4769-Kerberos_TGS_host_enumeration__Bloodhound_.xml',
    ),
    'utf8',
  ).match(/<Event xmlns=[\s\S]*?<\/Event>/g) ?? [];

/** Stands in for wevtutil: answers the bookmark query from the recorded records, like the real log would. */
function fakeWevtutil(calls: string[][]): CommandRunner {
  return async (_cmd, args) => {
    calls.push(args);
    const q = args.find((a) => a.startsWith('/q:')) ?? '';
    const after = Number(/EventRecordID > (\d+)/.exec(q)?.[1] ?? 0);
    const count = Number(args.find((a) => a.startsWith('/c:'))?.slice(3));
    const out = recorded.filter((r) => (recordIdOf(r) ?? 0) > after).slice(0, count);
    return `<Events>${out.join('')}</Events>`;
  };
}

test('the wevtutil query asks for the logon events after the bookmark, oldest first', () => {
  const args = wevtutilArgs(67101, { batch: 500, backfillMs: 3600_000, eventIds: SECURITY_EVENT_IDS });
  assert.deepEqual(args.slice(0, 2), ['qe', 'Security']);
  assert.ok(args.includes('/rd:false') && args.includes('/f:xml') && args.includes('/c:500'));
  const q = args.find((a) => a.startsWith('/q:'));
  assert.match(q ?? '', /^\/q:\*\[System\[\(EventRecordID > 67101\) and \(EventID=4624 or .*EventID=4801\)\]\]$/);
  const first = wevtutilArgs(undefined, { batch: 500, backfillMs: 3600_000, eventIds: [4624] });
  assert.ok(
    first.includes('/q:*[System[TimeCreated[timediff(@SystemTime) <= 3600000] and (EventID=4624)]]'),
    'a first run reads the last hour',
  );
});

test('polling from a saved bookmark neither loses nor repeats records across a restart', async () => {
  assert.ok(recorded.length >= 20, 'the recording has enough records');
  const ids = recorded.map((r) => recordIdOf(r) ?? 0);
  const received: AgentEvent[] = [];
  const positions: string[] = [];
  const sink = (events: AgentEvent[], position: string | undefined): boolean => {
    received.push(...events);
    if (position) positions.push(position);
    return true;
  };
  const calls: string[][] = [];
  const cfg = { name: 'sec', pollMs: 10, backfillMs: 3600_000, batch: 10, parse: { defaultDomain: 'OFFSEC' } };
  const first = new WindowsEventLogSource(cfg, sink, undefined, log, fakeWevtutil(calls));
  assert.equal(await first.pollOnce(), true, 'a full batch means more are waiting');
  assert.equal(first.position, ids[9]);

  // Restart: a new source from the last saved position.
  const second = new WindowsEventLogSource(cfg, sink, positions[positions.length - 1], log, fakeWevtutil(calls));
  while (await second.pollOnce());
  assert.equal(second.position, Math.max(...ids));
  assert.match(calls[1]?.find((a) => a.startsWith('/q:')) ?? '', new RegExp(`EventRecordID > ${ids[9]}\\)`));
  // Every 4769 with a client address became exactly one event: the bloodhound host enumeration by admmig.
  assert.equal(received.length, recorded.length);
  assert.ok(received.every((e) => e.kind === 'USER_ACTIVITY' && e.sourceEventId === '4769' && e.ip === '10.23.23.9'));
  assert.equal(first.stats.records + second.stats.records, recorded.length, 'each record read once over both runs');
});
