import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from '../src/spool/spool';
import type { AgentEvent } from '@fsso/formats';

const ev = (i: number): AgentEvent => ({
  kind: 'USER_LOGON',
  user: `user${i}`,
  domain: 'CORP',
  ip: `198.18.0.${(i % 250) + 1}`,
  workstation: '',
  mac: '',
  eventTimeMs: 1_700_000_000_000 + i,
  source: 'windows-security',
  sourceEventId: '4624',
  logonType: 3,
  reporter: 'dc1',
});

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fsso-spool-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'spool.db');
}

test('events and the source position survive a reopen together; sequences never restart', (t) => {
  const path = tmp(t);
  const a = new Spool(path);
  a.append([ev(1), ev(2), ev(3)], { source: 'sec', value: '{"ino":1,"offset":300}' });
  const id = a.spoolId;
  a.close();
  const b = new Spool(path);
  t.after(() => b.close());
  assert.equal(b.spoolId, id);
  assert.equal(b.head, 3);
  assert.equal(b.position('sec'), '{"ino":1,"offset":300}');
  assert.deepEqual(
    b.readAfter(1, 10).map((s) => [s.seq, s.event.user]),
    [
      [2, 'user2'],
      [3, 'user3'],
    ],
  );
  b.ack('c1', 3, ['c1']);
  b.append([ev(4)]);
  assert.equal(b.head, 4, 'a pruned spool still counts on');
});

test('an event stays until every collector acknowledged it; one slow collector holds only its own', (t) => {
  const s = new Spool(tmp(t));
  t.after(() => s.close());
  s.append([1, 2, 3, 4, 5].map(ev));
  s.ack('primary', 5, ['primary', 'secondary']);
  assert.equal(s.pending(), 5, 'secondary has acknowledged nothing yet');
  assert.equal(s.readAfter(s.cursor('primary'), 10).length, 0, 'primary has nothing left to send');
  s.ack('secondary', 2, ['primary', 'secondary']);
  assert.equal(s.pending(), 3);
  assert.deepEqual(
    s.readAfter(s.cursor('secondary'), 10).map((e) => e.seq),
    [3, 4, 5],
  );
});

test('a full spool blocks new events, or drops the oldest, as configured, and counts it', (t) => {
  const one = Buffer.byteLength(JSON.stringify(ev(1)));
  const blocking = new Spool(tmp(t), { maxBytes: one * 3, whenFull: 'block' });
  t.after(() => blocking.close());
  assert.equal(blocking.append([ev(1), ev(2), ev(3)]).accepted, true);
  const refused = blocking.append([ev(4)], { source: 'sec', value: 'after-4' });
  assert.deepEqual(refused, { accepted: false, dropped: 0 });
  assert.equal(blocking.position('sec'), undefined, 'the position did not move, so the source re-reads the event');
  assert.equal(blocking.overflow.blocked, 1);
  blocking.ack('c', 2, ['c']);
  assert.equal(blocking.append([ev(4)]).accepted, true, 'room again after collectors caught up');

  const dropping = new Spool(tmp(t), { maxBytes: one * 3, whenFull: 'drop-oldest' });
  t.after(() => dropping.close());
  dropping.append([ev(1), ev(2), ev(3)]);
  const r = dropping.append([ev(4), ev(5)]);
  assert.deepEqual(r, { accepted: true, dropped: 2 });
  assert.deepEqual(
    dropping.readAfter(0, 10).map((e) => e.event.user),
    ['user3', 'user4', 'user5'],
  );
  assert.equal(dropping.overflow.dropped, 2);
});
