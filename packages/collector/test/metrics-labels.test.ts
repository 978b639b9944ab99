import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rejectReason } from '../src/metrics/reasons';
import { renderStats, words } from '../src/cli/stats-format';
import { validateEvent } from '../src/ingest/validate';
import type { Event__Output, Stats__Output } from '@fsso/common';

const event = (over: Partial<Event__Output>): Event__Output =>
  ({
    seq: 1,
    kind: 'USER_LOGON',
    user: 'alice',
    domain: 'CORP',
    ip: '198.18.0.1',
    workstation: '',
    mac: '',
    eventTimeMs: Date.now(),
    source: 'windows-security',
    sourceEventId: '4624',
    logonType: 3,
    reporter: 'dc1',
    ...over,
  }) as Event__Output;

test("every rejection the ingest check gives has a fixed label, never the sentence's values", () => {
  const cases: [Partial<Event__Output>, string][] = [
    [{ seq: 0 }, 'bad_sequence'],
    [{ kind: 'NOPE' as Event__Output['kind'] }, 'unknown_kind'],
    [{ user: 'a'.repeat(300) }, 'field_too_long'],
    [{ ip: 'not-an-ip' }, 'bad_address'],
    [{ eventTimeMs: 0 }, 'no_time'],
    [{ workstation: 'W\u0007' }, 'control_characters'],
    [{ user: 'A\\B\\c' }, 'several_domains'],
    [{ domain: 'a/b' }, 'bad_domain'],
    [{ domain: 'SALES' }, 'domain_not_covered'],
  ];
  for (const [over, label] of cases) {
    const r = validateEvent(event(over), ['CORP']);
    assert.equal(typeof r, 'string', JSON.stringify(over));
    assert.equal(rejectReason(r as string), label, r as string);
  }
  assert.equal(rejectReason('something new'), 'other');
});

test('stats in words: known fields by name, new ones de-camelCased, maps indented', () => {
  assert.equal(words('eventsRejectedByReason'), 'events rejected by reason');
  assert.equal(words('startedMs'), 'started');
  const s = {
    state: 'RUNNING',
    logons: 3,
    limitHits: { maxBatchEvents: 2, handshakeFailed: 1 },
    startedMs: 0,
    futureCounter: 7,
  } as unknown as Stats__Output;
  assert.equal(
    renderStats(s),
    [
      'state               RUNNING',
      'started             -',
      'entries             3',
      'limit hits',
      '  handshake failed  1',
      '  max batch events  2',
      'future counter      7',
    ].join('\n'),
  );
  assert.match(renderStats({ limitHits: {} } as unknown as Stats__Output), /^limit hits {2,}none$/);
});
