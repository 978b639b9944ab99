import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Event__Output } from '@fsso/common';
import { openDatabase } from '../src/store/database';
import { IdentityTable } from '../src/store/identity-table';
import { AgentStore } from '../src/store/agent-store';
import { EventLog } from '../src/store/event-log';
import { Ingestor, MAX_REJECTIONS_PER_ACK } from '../src/ingest/ingestor';
import { IdentityEngine } from '../src/identity/engine';
import { WorkstationStore } from '../src/store/workstations';
import { DEFAULT_IDENTITY } from '../src/identity/settings';
import { TableWriter } from '../src/store/table-writer';
import { ChangeHub } from '../src/sync/hub';
import type { TableChange } from '../src/identity/entry';

const HOUR = 3600_000;

function setup(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'fsso-ingest-'));
  const path = join(dir, 'c.db');
  let now = Date.UTC(2026, 10, 23, 9, 0, 0);
  const clock = { now: () => now };
  const open = () => {
    const db = openDatabase(path, 'normal');
    const table = new IdentityTable(db);
    const agents = new AgentStore(db);
    const workstations = new WorkstationStore(db);
    const engine = new IdentityEngine(table, workstations, {
      ...DEFAULT_IDENTITY,
      deadEntryTimeoutMs: 8 * HOUR,
    });
    const published: TableChange[] = [];
    const hub = new ChangeHub();
    hub.subscribe(
      (cs) => published.push(...cs),
      () => undefined,
    );
    const writer = new TableWriter({ db, table, hub, workstations });
    const ingestor = new Ingestor({
      table,
      agents,
      events: new EventLog(db),
      clock,
      engine,
      deadEntryTimeoutMs: 8 * HOUR,
      log: createLogger('test', { level: 'error', format: 'json' }),
      writer,
    });
    agents.save({
      agentId: 'dc1',
      spoolId: 's1',
      ackedSeq: agents.get('dc1')?.ackedSeq ?? 0,
      headSeq: 0,
      hostname: 'dc1',
      domains: [],
      version: '',
      lastEventMs: 0,
      lastContactMs: 0,
      eventsAccepted: 0,
      duplicates: 0,
    });
    return { db, table, agents, ingestor, published };
  };
  const s = open();
  t.after(() => {
    if (s.db.open) s.db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    ...s,
    reopen: () => {
      s.db.close();
      return open();
    },
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

const logon = (seq: number, user: string, ip: string, t: number): Event__Output => ({
  seq,
  kind: 'USER_LOGON',
  user,
  domain: 'CORP',
  ip,
  workstation: '',
  mac: '',
  eventTimeMs: t,
  source: 'windows-security',
  sourceEventId: '4624',
  logonType: 3,
  reporter: 'dc1',
});

test('a resent batch is acknowledged again but changes nothing', (t) => {
  const s = setup(t);
  const batch = [logon(1, 'alice', '10.0.0.1', s.now()), logon(2, 'bob', '10.0.0.2', s.now())];
  const first = s.ingestor.apply('dc1', batch, 2);
  assert.deepEqual(
    { acked: first.ackedSeq, accepted: first.accepted, changes: first.changes.length },
    { acked: 2, accepted: 2, changes: 2 },
  );
  const again = s.ingestor.apply('dc1', batch, 2);
  assert.deepEqual(
    { acked: again.ackedSeq, accepted: again.accepted, duplicates: again.duplicates, changes: again.changes.length },
    { acked: 2, accepted: 0, duplicates: 2, changes: 0 },
  );
  assert.equal(s.table.revision, 2);
  assert.equal(new EventLog(s.db).count(), 2);
});

test('the table, revision and acknowledged sequence survive reopening the file', (t) => {
  const s = setup(t);
  s.ingestor.apply('dc1', [logon(1, 'alice', '10.0.0.1', s.now())], 1);
  const r = s.reopen();
  assert.equal(r.table.get('10.0.0.1')?.user, 'alice');
  assert.equal(r.table.revision, 1);
  assert.equal(r.agents.get('dc1')?.ackedSeq, 1);
});

test('an invalid event is rejected and counted, the good ones around it land', (t) => {
  const s = setup(t);
  const bad = { ...logon(2, 'mallory', 'not-an-ip', s.now()) };
  const r = s.ingestor.apply(
    'dc1',
    [logon(1, 'alice', '10.0.0.1', s.now()), bad, logon(3, 'bob', '10.0.0.3', s.now())],
    3,
  );
  assert.deepEqual(
    { acked: r.ackedSeq, accepted: r.accepted, rejected: r.rejected },
    { acked: 3, accepted: 2, rejected: 1 },
  );
  assert.equal(s.table.get('10.0.0.3')?.user, 'bob');
  assert.deepEqual(
    r.rejections,
    [{ seq: 2, reason: 'ip "not-an-ip" is not a client address' }],
    'the ack tells the agent why',
  );
});

test('the reasons an ack carries are bounded: the first MAX_REJECTIONS_PER_ACK, each cut to 200 characters', (t) => {
  const s = setup(t);
  const batch = Array.from({ length: 50 }, (_, i) => logon(i + 1, 'mallory', `x${'y'.repeat(300)}${i}`, s.now()));
  const r = s.ingestor.apply('dc1', batch, 50);
  assert.equal(r.rejected, 50, 'every one counted');
  assert.equal(r.rejections.length, MAX_REJECTIONS_PER_ACK);
  assert.deepEqual(
    r.rejections.map((x) => x.seq),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
  assert.ok(r.rejections.every((x) => x.reason.length <= 200));
});

test('entries expire after the dead-entry timeout, and the change log lets a client resume', (t) => {
  const s = setup(t);
  s.ingestor.apply('dc1', [logon(1, 'alice', '10.0.0.1', s.now())], 1);
  s.advance(4 * HOUR);
  s.ingestor.apply('dc1', [logon(2, 'bob', '10.0.0.2', s.now())], 2);
  s.advance(4 * HOUR + 1000);
  const expired = s.ingestor.expire();
  assert.deepEqual(
    expired.map((c) => [c.op, c.ip, c.reason]),
    [['DELETE', '10.0.0.1', 'expired']],
  );
  assert.equal(s.table.get('10.0.0.1'), undefined);
  assert.equal(s.table.get('10.0.0.2')?.user, 'bob');
  assert.deepEqual(
    s.table.changesSince(1)?.map((c) => c.revision),
    [2, 3],
  );
  s.table.pruneChanges(1);
  assert.equal(s.table.changesSince(1), undefined, 'a revision no longer kept asks for a snapshot');
});

test('a committed batch is published once, in order, by the one write path; the ack reports what was published', (t) => {
  const s = setup(t);
  const r = s.ingestor.apply(
    'dc1',
    [logon(1, 'alice', '198.18.60.1', s.now()), logon(2, 'bob', '198.18.60.1', s.now() + 1)],
    2,
  );
  assert.deepEqual(
    s.published.map((c) => [c.revision, c.op, c.reason]),
    r.changes.map((c) => [c.revision, c.op, c.reason]),
  );
  assert.deepEqual(
    s.published.map((c) => c.reason),
    ['logon', 'replaced'],
  );
  s.ingestor.forceLogoff('198.18.60.1');
  assert.equal(s.published.at(-1)?.reason, 'admin-delete', 'a forced logoff goes the same way');
});
