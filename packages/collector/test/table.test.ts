import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/store/database';
import { IdentityTable } from '../src/store/identity-table';
import { ChangeHub } from '../src/sync/hub';
import { TableWriter } from '../src/store/table-writer';
import { WorkstationStore } from '../src/store/workstations';
import { evidenceOf, type Entry, type EvidenceItem, type TableChange } from '../src/identity/entry';
import { T, entry } from './entry-fixture';

/** A real SQLite file in a temp folder, reopened at will: what a restart sees. */
function onDisk() {
  const dir = mkdtempSync(join(tmpdir(), 'fsso-table-'));
  const file = join(dir, 'c.db');
  const open = () => {
    const db = openDatabase(file, 'normal');
    return { db, table: new IdentityTable(db) };
  };
  return { file, open, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('every write is a revision, kept in the change log in order; a restart reads the same table and revision', (t) => {
  const d = onDisk();
  t.after(d.cleanup);
  const a = d.open();
  const changes: TableChange[] = [];
  a.db.transaction(() => {
    changes.push(a.table.upsert(entry('198.18.50.1', 'alice'), 'logon', T));
    changes.push(a.table.upsert(entry('198.18.50.2', 'bob'), 'logon', T));
    const gone = a.table.delete('198.18.50.1', 'logoff', T);
    if (gone) changes.push(gone);
    // Rows are collected and written at flush, inside the transaction (TableWriter does this).
    a.table.flush();
  })();
  assert.deepEqual(
    changes.map((c) => [c.revision, c.op, c.ip, c.reason]),
    [
      [1, 'UPSERT', '198.18.50.1', 'logon'],
      [2, 'UPSERT', '198.18.50.2', 'logon'],
      [3, 'DELETE', '198.18.50.1', 'logoff'],
    ],
  );
  assert.deepEqual(
    a.table.changesSince(1)?.map((c) => c.revision),
    [2, 3],
  );
  assert.deepEqual(a.table.changesSince(3), []);
  assert.equal(a.table.changesSince(4), undefined, 'a revision from the future is unknown: a snapshot, not a delta');
  a.db.close();
  const b = d.open();
  assert.equal(b.table.revision, 3);
  assert.deepEqual(
    [...b.table.all()].map((e) => [e.ip, e.user]),
    [['198.18.50.2', 'bob']],
  );
  b.db.close();
});

test('refreshes move last-seen without a revision and reach SQLite at flush; shared and contested state survive a restart', (t) => {
  const d = onDisk();
  t.after(d.cleanup);
  const a = d.open();
  a.db.transaction(() => {
    a.table.upsert(entry('198.18.50.3', 'carol'), 'logon', T);
    a.table.upsert(
      entry('198.18.50.4', '', { shared: true, claims: [{ user: 'x', domain: 'CORP', reporter: 'dc1', timeMs: T }] }),
      'shared',
      T,
    );
    a.table.upsert(
      entry('198.18.50.5', '', {
        contested: true,
        claims: [{ user: 'bob', domain: 'SALES', reporter: 'dc-sales', timeMs: T }],
      }),
      'contested',
      T,
    );
    a.table.flush();
  })();
  const cur = a.table.get('198.18.50.3');
  assert.ok(cur);
  a.db.transaction(() => {
    a.table.refresh(cur, T + 5000, true, 'samba-audit', {
      kind: 'USER_ACTIVITY',
      source: 'samba-audit',
      sourceEventId: '',
      reporter: 'dc1',
      timeMs: T + 5000,
      user: 'carol',
      workstation: '',
      rule: 'activity',
    });
    a.table.flush();
  })();
  assert.equal(a.table.revision, 3, 'a refresh is not a revision');
  a.db.close();
  const b = d.open();
  assert.equal(b.table.get('198.18.50.3')?.lastSeenMs, T + 5000);
  assert.equal(b.table.get('198.18.50.4')?.shared, true);
  assert.deepEqual(
    b.table.get('198.18.50.5')?.claims.map((c) => c.user),
    ['bob'],
  );
  assert.equal(b.table.get('198.18.50.5')?.contested, true);
  b.db.close();
});

test('per-domain counts follow upserts, replacements and deletes (the quota reads them)', (t) => {
  const d = onDisk();
  t.after(d.cleanup);
  const { db, table } = d.open();
  t.after(() => db.close());
  db.transaction(() => {
    table.upsert(entry('198.18.50.6', 'a'), 'logon', T);
    table.upsert(entry('198.18.50.7', 'b'), 'logon', T);
    table.upsert(entry('198.18.50.7', 'c', { domain: 'SALES' }), 'replaced', T);
    table.flush();
  })();
  assert.deepEqual([table.countOf('CORP'), table.countOf('SALES')], [1, 1]);
  db.transaction(() => table.delete('198.18.50.6', 'logoff', T))();
  assert.deepEqual([table.countOf('CORP'), table.countOf('SALES')], [0, 1]);
});

test('a rolled-back transaction leaves memory as SQLite has it (reloadRevision)', (t) => {
  const d = onDisk();
  t.after(d.cleanup);
  const { db, table } = d.open();
  t.after(() => db.close());
  db.transaction(() => {
    table.upsert(entry('198.18.50.8', 'dora'), 'logon', T);
    table.flush();
  })();
  assert.throws(() =>
    db.transaction(() => {
      table.upsert(entry('198.18.50.9', 'eve'), 'logon', T);
      table.flush();
      throw new Error('disk full');
    })(),
  );
  table.reloadRevision();
  assert.equal(table.revision, 1);
  assert.equal(table.get('198.18.50.9'), undefined);
});

test('the hub hands committed changes to every subscriber in order; unsubscribe and shutdown end it', () => {
  const hub = new ChangeHub();
  const seen: number[][] = [[], []];
  let ended = 0;
  const offA = hub.subscribe(
    (cs) => seen[0]?.push(...cs.map((c) => c.revision)),
    () => ended++,
  );
  hub.subscribe(
    (cs) => seen[1]?.push(...cs.map((c) => c.revision)),
    () => ended++,
  );
  const change = (revision: number): TableChange => ({
    revision,
    op: 'DELETE',
    ip: '198.18.50.10',
    reason: 'x',
    atMs: T,
  });
  hub.publish([change(1), change(2)]);
  hub.publish([]);
  offA();
  hub.publish([change(3)]);
  assert.deepEqual(seen, [
    [1, 2],
    [1, 2, 3],
  ]);
  assert.equal(hub.size, 1);
  hub.shutdown();
  assert.equal(ended, 1, 'only the subscriber still there is ended');
  assert.equal(hub.size, 0);
});

test('the table writer publishes what committed, and nothing of a write that failed (memory reloaded)', (t) => {
  const d = onDisk();
  t.after(d.cleanup);
  const { db, table } = d.open();
  t.after(() => db.close());
  const hub = new ChangeHub();
  const seen: string[] = [];
  hub.subscribe(
    (cs) => seen.push(...cs.map((c) => `${c.op} ${c.ip}`)),
    () => undefined,
  );
  const writer = new TableWriter({ db, table, hub, workstations: new WorkstationStore(db) });
  writer.changes(() => [table.upsert(entry('198.18.50.20', 'gina'), 'logon', T)]);
  assert.throws(
    () =>
      writer.changes(() => {
        table.upsert(entry('198.18.50.21', 'hank'), 'logon', T);
        throw new Error('SQLITE_FULL');
      }),
    /SQLITE_FULL/,
  );
  assert.deepEqual(seen, ['UPSERT 198.18.50.20'], 'the rolled-back upsert never reached a subscriber');
  assert.equal(table.get('198.18.50.21'), undefined);
  assert.equal(table.revision, 1);
});

test("after a restart an entry's evidence is read when first asked for; a rewrite without new evidence keeps it, a refresh adds to it", (t) => {
  const d = onDisk();
  t.after(d.cleanup);
  const item = (timeMs: number, rule: string): EvidenceItem => ({
    kind: 'USER_LOGON',
    source: 'test',
    sourceEventId: '4624',
    reporter: 'dc1',
    timeMs,
    user: 'frank',
    workstation: '',
    rule,
  });
  const chain = (e: Entry | undefined): string[][] => (e ? evidenceOf(e) : []).map((i) => [i.user, i.rule]);
  const a = d.open();
  a.db.transaction(() => {
    a.table.upsert(entry('198.18.50.20', 'frank', { evidence: [item(T, 'logon')] }), 'logon', T);
    a.table.flush();
  })();
  a.db.close();

  // Restarted: the entry is rewritten for its groups before anything read its evidence.
  const b = d.open();
  const before = b.table.get('198.18.50.20');
  assert.ok(before);
  b.db.transaction(() => {
    b.table.upsert({ ...before, groups: ['CORP\\Admins'] }, 'groups', T + 500);
    b.table.flush();
  })();
  b.db.close();

  const c = d.open();
  const e = c.table.get('198.18.50.20');
  assert.deepEqual(e?.groups, ['CORP\\Admins']);
  assert.deepEqual(chain(e), [['frank', 'logon']], 'the chain survived the rewrite, as stored');
  assert.ok(e);
  c.db.transaction(() => {
    c.table.refresh(e, T + 1000, true, 'test', item(T + 1000, 'activity'));
    c.table.flush();
    c.table.persistEvidence();
  })();
  c.db.close();

  const r = d.open();
  t.after(() => r.db.close());
  assert.deepEqual(chain(r.table.get('198.18.50.20')), [
    ['frank', 'logon'],
    ['frank', 'activity'],
  ]);
});

test('a deferred load: find answers from SQLite before the rows are in memory, the same entries as after the load', (t) => {
  const d = onDisk();
  t.after(d.cleanup);
  const a = d.open();
  const ips = Array.from({ length: 12_000 }, (_, i) => `198.18.${60 + Math.floor(i / 250)}.${(i % 250) + 1}`);
  a.db.transaction(() => {
    ips.forEach((ip, i) => a.table.upsert(entry(ip, `user${i}`, { groups: i % 2 ? ['CORP\\Staff'] : [] }), 'logon', T));
    a.table.flush();
  })();
  a.db.close();

  const db = openDatabase(d.file, 'normal');
  t.after(() => db.close());
  const table = new IdentityTable(db, { deferLoad: true });
  assert.equal(table.loaded, false);
  assert.equal(table.count(), 0, 'nothing in memory yet');
  const last = ips.at(-1) as string;
  const before = table.find(last);
  assert.equal(before?.user, 'user11999', 'read from SQLite');
  assert.equal(table.find('198.18.200.1'), undefined, 'an address nobody holds is not found');
  const steps = table.loadSteps();
  const first = steps.next();
  assert.deepEqual([first.value, first.done], [5000, false], 'a page at a time');
  assert.equal(table.find(ips[1] as string)?.user, 'user1', 'loaded rows from memory');
  assert.equal(table.find(last)?.user, 'user11999', 'the rest still from SQLite');
  let done = steps.next();
  while (done.done !== true) done = steps.next();
  assert.equal(done.value, 12_000);
  assert.equal(table.loaded, true);
  const after = table.get(last);
  assert.ok(after);
  assert.deepEqual({ ...before, evidence: [] }, { ...after, evidence: [] });
  assert.deepEqual(evidenceOf(before as Entry), evidenceOf(after));
});

test('a chain of one item is stored as a list of one; refreshes and upserts grow it in memory, and a restart reads them all', (t) => {
  const d = onDisk();
  t.after(d.cleanup);
  const item = (timeMs: number, rule: string): EvidenceItem => ({
    kind: 'USER_ACTIVITY',
    source: 'test',
    sourceEventId: '4769',
    reporter: 'dc1',
    timeMs,
    user: 'grace',
    workstation: '',
    rule,
  });
  const ip = '2001:db8:0:1::20';
  const rules = (e: Entry | undefined): string[] => (e ? evidenceOf(e) : []).map((i) => i.rule);
  const a = d.open();
  a.db.transaction(() => {
    a.table.upsert(entry(ip, 'grace', { evidence: [item(T, 'logon')] }), 'logon', T);
    a.table.flush();
  })();
  const stored = a.db.prepare('SELECT evidence FROM logons WHERE ip = ?').pluck().get(ip) as string;
  assert.deepEqual(JSON.parse(stored), [item(T, 'logon')], 'the column holds a list, as older collectors read it');
  const e = a.table.get(ip);
  assert.ok(e);
  assert.deepEqual(rules(e), ['logon']);
  a.db.transaction(() => {
    a.table.refresh(e, T + 1000, true, 'test', item(T + 1000, 'activity'));
    const cur = a.table.get(ip);
    assert.ok(cur);
    assert.deepEqual(rules(cur), ['logon', 'activity'], 'the refresh grew the chain in memory');
    a.table.upsert({ ...cur, evidence: [...evidenceOf(cur), item(T + 2000, 'roam')] }, 'roam', T + 2000);
    a.table.flush();
    a.table.persistEvidence();
  })();
  assert.deepEqual(rules(a.table.get(ip)), ['logon', 'activity', 'roam']);
  a.db.close();

  const r = d.open();
  t.after(() => r.db.close());
  assert.deepEqual(rules(r.table.get(ip)), ['logon', 'activity', 'roam']);
});
