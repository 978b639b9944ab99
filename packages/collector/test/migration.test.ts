import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../src/store/database';
import { IdentityTable } from '../src/store/identity-table';
import { EventLog } from '../src/store/event-log';
import { MIGRATIONS } from '../src/store/schema';
import { changeJson } from '../src/store/entry-json';
import type { Entry } from '../src/identity/entry';

const T = Date.UTC(2026, 11, 1, 9);
const entry = (ip: string, user: string, revision: number): Entry => ({
  ip,
  user,
  domain: 'CORP',
  workstation: 'WKS1',
  groups: ['CORP\\Staff'],
  groupDns: undefined,
  groupsStale: false,
  firstSeenMs: T,
  lastSeenMs: T + revision,
  userSeenMs: T,
  source: 'windows-security',
  revision,
  shared: false,
  contested: false,
  claims: [],
  evidence: [],
});

/**
 * A database as schema version 6 (the event log a row per event, a change row per revision)
 * left it: revisions 1-4 (alice at .1, carol at .3, bob at .2, carol's logoff), revision 1's
 * change row already pruned, so a resume needs revision 1 or later.
 */
function version6(file: string): void {
  const db = new Database(file);
  for (const m of MIGRATIONS.slice(0, 6)) db.exec(m);
  db.pragma('user_version = 6');
  db.prepare("INSERT INTO meta (key, value) VALUES ('table_id', 'old-table'), ('revision', '4')").run();
  const logon = db.prepare(
    `INSERT INTO logons (ip, user, domain, workstation, groups, first_seen_ms, last_seen_ms, source, revision, shared,
      groups_stale, evidence, user_seen_ms, contested, claims) VALUES (?, ?, 'CORP', 'WKS1', '["CORP\\\\Staff"]', ?, ?,
      'windows-security', ?, 0, 0, '[]', ?, 0, '[]')`,
  );
  logon.run('198.18.70.1', 'alice', T, T + 1, 1, T);
  logon.run('198.18.70.2', 'bob', T, T + 3, 3, T);
  const change = db.prepare('INSERT INTO changes (revision, op, ip, entry, reason, at_ms) VALUES (?, ?, ?, ?, ?, ?)');
  change.run(2, 'UPSERT', '198.18.70.3', changeJson(entry('198.18.70.3', 'carol', 2)), 'logon', T + 2);
  change.run(3, 'UPSERT', '198.18.70.2', changeJson(entry('198.18.70.2', 'bob', 3)), 'logon', T + 3);
  change.run(4, 'DELETE', '198.18.70.3', changeJson(entry('198.18.70.3', 'carol', 2)), 'logoff', T + 4);
  const history = db.prepare(
    'INSERT INTO history (ip, user, domain, workstation, shared, from_ms, to_ms, ended_by) VALUES (?, ?, ?, ?, 0, ?, ?, ?)',
  );
  history.run('198.18.70.1', 'alice', 'CORP', 'WKS1', T + 1, null, null);
  history.run('198.18.70.3', 'carol', 'CORP', 'WKS1', T + 2, T + 4, 'logoff');
  // Bob came with WKS0 and moved to WKS1 since: his history row names WKS0.
  history.run('198.18.70.2', 'bob', 'CORP', 'WKS0', T + 3, null, null);
  const event = db.prepare(
    `INSERT INTO events (agent_id, spool_id, seq, kind, user, domain, ip, workstation, mac, event_time_ms, source,
      source_event_id, logon_type, reporter, received_ms) VALUES ('dc1', 's1', ?, ?, ?, 'CORP', ?, 'WKS1', '', ?,
      'windows-security', '4624', 3, 'dc1', ?)`,
  );
  event.run(1, 'USER_LOGON', 'alice', '198.18.70.1', T + 1, T + 1);
  event.run(2, 'USER_LOGON', 'carol', '198.18.70.3', T + 2, T + 2);
  event.run(3, 'USER_LOGON', 'bob', '198.18.70.2', T + 3, T + 3);
  event.run(4, 'USER_LOGOFF', 'carol', '198.18.70.3', T + 4, T + 4);
  db.close();
}

test('a database of schema version 6 keeps its table, revision, history, events and resumable revisions after the upgrade', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsso-migrate-'));
  try {
    const file = join(dir, 'c.db');
    version6(file);
    const db = openDatabase(file, 'normal');
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    const table = new IdentityTable(db);
    assert.equal(table.tableId, 'old-table', 'firewalls holding this table may resume');
    assert.equal(table.revision, 4);
    assert.deepEqual(
      [...table.all()].map((e) => [e.ip, e.user, e.revision]),
      [
        ['198.18.70.1', 'alice', 1],
        ['198.18.70.2', 'bob', 3],
      ],
    );
    assert.equal(table.history.at('198.18.70.3', T + 3).at?.user, 'carol', 'who had the address then');
    assert.equal(table.history.at('198.18.70.1', T + 9).at?.user, 'alice');
    assert.equal(table.history.at('198.18.70.1', T).at, undefined, 'alice held it from her history row, T + 1');
    assert.deepEqual(
      table.history.ofUser('bob', T).map((h) => [h.ip, h.workstation, h.fromMs, h.toMs]),
      [['198.18.70.2', 'WKS0', T + 3, undefined]],
    );
    assert.deepEqual(
      db.prepare('SELECT ip FROM history WHERE to_ms IS NULL').all(),
      [],
      'current holdings moved into logons',
    );

    // The event log reads as before, old rows and new ones.
    const events = new EventLog(db);
    db.transaction(() => {
      events.append(
        'dc1',
        's1',
        {
          seq: 5,
          kind: 'USER_ACTIVITY',
          user: 'bob',
          domain: 'CORP',
          ip: '198.18.70.2',
          workstation: '',
          mac: '',
          eventTimeMs: T + 5,
          source: 'windows-security',
          sourceEventId: '4769',
          logonType: 0,
          reporter: 'dc1',
        },
        T + 5,
      );
      events.flush();
    })();
    assert.equal(events.count(), 5);
    assert.deepEqual(
      db.prepare("SELECT seq, kind, user, ip, event_time_ms, logon_type FROM events WHERE agent_id = 'dc1'").all(),
      [
        { seq: 1, kind: 'USER_LOGON', user: 'alice', ip: '198.18.70.1', event_time_ms: T + 1, logon_type: 3 },
        { seq: 2, kind: 'USER_LOGON', user: 'carol', ip: '198.18.70.3', event_time_ms: T + 2, logon_type: 3 },
        { seq: 3, kind: 'USER_LOGON', user: 'bob', ip: '198.18.70.2', event_time_ms: T + 3, logon_type: 3 },
        { seq: 4, kind: 'USER_LOGOFF', user: 'carol', ip: '198.18.70.3', event_time_ms: T + 4, logon_type: 3 },
        { seq: 5, kind: 'USER_ACTIVITY', user: 'bob', ip: '198.18.70.2', event_time_ms: T + 5, logon_type: 0 },
      ],
    );
    assert.equal(events.prune(T + 3), 2, 'retention drops the oldest events');
    assert.equal(events.count(), 3);
    assert.equal(events.prune(T + 3_600_000), 3, 'a cutoff after every batch drops them all');
    assert.equal(events.count(), 0);

    // Resumes: from revision 1 (its successors were kept) the current entries and the logoff;
    // from before the kept rows, a snapshot.
    assert.deepEqual(
      table.changesSince(1)?.map((c) => [c.revision, c.op, c.ip, c.entry?.user]),
      [
        [3, 'UPSERT', '198.18.70.2', 'bob'],
        [4, 'DELETE', '198.18.70.3', 'carol'],
      ],
    );
    assert.deepEqual(table.changesSince(4), []);
    assert.equal(table.changesSince(0), undefined, 'revision 1 was pruned: a snapshot');
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('batches the event log wrote whole (schema 9) and batches without their repeated values read alike', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsso-migrate-'));
  const file = join(dir, 'c.db');
  try {
    const old = new Database(file);
    for (const m of MIGRATIONS.slice(0, 9)) old.exec(m);
    old.pragma('user_version = 9');
    // As schema 9's event log wrote a batch: every value of every event.
    old
      .prepare("INSERT INTO event_batches (agent_id, spool_id, received_ms, n, rows) VALUES ('dc1', 's1', ?, 2, ?)")
      .run(
        T + 2,
        JSON.stringify([
          [1, 'USER_LOGON', 'alice', 'CORP', '198.18.70.1', 'WKS1', '', T + 1, 'windows-security', '4624', 3, 'dc1'],
          [2, 'USER_LOGON', 'bob', 'CORP', '198.18.70.2', 'WKS2', '', T + 2, 'windows-security', '4624', 3, 'dc1'],
        ]),
      );
    old.close();

    const db = openDatabase(file, 'normal');
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    const events = new EventLog(db);
    const ev = (seq: number, user: string, o: Partial<Parameters<EventLog['append']>[2]> = {}) => ({
      seq,
      kind: 'USER_ACTIVITY' as const,
      user,
      domain: 'CORP',
      ip: `198.18.70.${seq}`,
      workstation: '',
      mac: '',
      eventTimeMs: T + seq,
      source: 'windows-security',
      sourceEventId: '4769',
      logonType: 0,
      reporter: 'dc1',
      ...o,
    });
    db.transaction(() => {
      events.append('dc1', 's1', ev(3, 'carol'), T + 9);
      // Equal to the batch's first event but for one value each, early, in the middle and last.
      events.append('dc1', 's1', ev(3, 'carol', { seq: 4 }), T + 9);
      events.append('dc1', 's1', ev(3, 'carol', { mac: 'aa:bb:cc:dd:ee:ff', eventTimeMs: T + 20 }), T + 9);
      events.append('dc1', 's1', ev(3, 'carol', { reporter: 'dc2', kind: 'USER_LOGOFF', logonType: 3 }), T + 9);
      events.append('dc1', 's1', ev(7, 'dave', { workstation: 'WKS7', domain: 'SALES' }), T + 9);
      events.flush();
    })();
    const rows = db.prepare('SELECT * FROM events ORDER BY batch_id, seq, event_time_ms, reporter').all() as Record<
      string,
      unknown
    >[];
    const w = 'windows-security';
    assert.deepEqual(
      rows.map(({ batch_id: _b, agent_id: _a, spool_id: _s, ...r }) => Object.values(r)),
      [
        [1, 'USER_LOGON', 'alice', 'CORP', '198.18.70.1', 'WKS1', '', T + 1, w, '4624', 3, 'dc1', T + 2],
        [2, 'USER_LOGON', 'bob', 'CORP', '198.18.70.2', 'WKS2', '', T + 2, w, '4624', 3, 'dc1', T + 2],
        [3, 'USER_ACTIVITY', 'carol', 'CORP', '198.18.70.3', '', '', T + 3, w, '4769', 0, 'dc1', T + 9],
        [3, 'USER_LOGOFF', 'carol', 'CORP', '198.18.70.3', '', '', T + 3, w, '4769', 3, 'dc2', T + 9],
        [
          3,
          'USER_ACTIVITY',
          'carol',
          'CORP',
          '198.18.70.3',
          '',
          'aa:bb:cc:dd:ee:ff',
          T + 20,
          w,
          '4769',
          0,
          'dc1',
          T + 9,
        ],
        [4, 'USER_ACTIVITY', 'carol', 'CORP', '198.18.70.3', '', '', T + 3, w, '4769', 0, 'dc1', T + 9],
        [7, 'USER_ACTIVITY', 'dave', 'SALES', '198.18.70.7', 'WKS7', '', T + 7, w, '4769', 0, 'dc1', T + 9],
      ],
    );
    assert.equal(events.count(), 7);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
