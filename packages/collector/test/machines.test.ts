import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../src/store/database';
import { IdentityTable } from '../src/store/identity-table';
import { TableWriter } from '../src/store/table-writer';
import { WorkstationStore } from '../src/store/workstations';
import { ChangeHub } from '../src/sync/hub';

const T = Date.UTC(2026, 11, 1, 9, 0, 0);

/** A collector's stores on a real database file; `reopen` is a restart on the same file. */
function world() {
  const dir = mkdtempSync(join(tmpdir(), 'fsso-machines-'));
  const path = join(dir, 'c.db');
  let db: Db = openDatabase(path, 'normal');
  const open = () => {
    const table = new IdentityTable(db);
    const workstations = new WorkstationStore(db);
    const writer = new TableWriter({ db, table, hub: new ChangeHub(), workstations });
    const tx = (write: () => void): void => void writer.changes(() => (write(), []));
    return { workstations, tx };
  };
  return {
    ...open(),
    reopen: () => {
      db.close();
      db = openDatabase(path, 'normal');
      return open();
    },
    done: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('machines committed are there after a restart, with the rules of the old SQL upserts', () => {
  const w = world();
  try {
    w.tx(() => {
      w.workstations.noteUser('CORP', 'WKS1', 'alice', 'CORP', T + 2000);
      w.workstations.noteAddress('CORP', 'WKS1', '10.0.0.5', 'aa:bb:cc:dd:ee:01', T + 2000);
      w.workstations.noteAddress('CORP', 'WKS2', '10.0.0.6', '', T);
    });
    w.tx(() => {
      // Older evidence changes nothing; a newer address without a MAC keeps the known MAC.
      w.workstations.noteUser('CORP', 'WKS1', 'bob', 'CORP', T + 1000);
      w.workstations.noteAddress('CORP', 'WKS1', '10.0.0.9', 'aa:bb:cc:dd:ee:02', T + 1000);
      w.workstations.noteAddress('CORP', 'WKS1', '10.0.0.7', '', T + 3000);
      // A release clears the address only where the machine still is.
      w.workstations.clearAddress('CORP', 'WKS2', '10.0.0.99');
      w.workstations.clearAddress('CORP', 'WKS1', '10.0.0.5');
      // WKS1 of SALES is another machine.
      w.workstations.noteUser('SALES', 'WKS1', 'carol', 'SALES', T);
    });
    const expected = {
      realm: 'CORP',
      name: 'WKS1',
      user: 'alice',
      domain: 'CORP',
      userSeenMs: T + 2000,
      ip: '10.0.0.7',
      mac: 'aa:bb:cc:dd:ee:01',
      ipSeenMs: T + 3000,
    };
    assert.deepEqual(w.workstations.get('CORP', 'WKS1'), expected);
    const again = w.reopen();
    assert.deepEqual(again.workstations.get('CORP', 'WKS1'), expected);
    assert.equal(again.workstations.get('CORP', 'WKS2')?.ip, '10.0.0.6');
    assert.equal(again.workstations.get('SALES', 'WKS1')?.user, 'carol');
    assert.equal(again.workstations.atAddress('10.0.0.7')?.name, 'WKS1');
    assert.equal(again.workstations.only('WKS2')?.realm, 'CORP');
    assert.equal(again.workstations.only('WKS1'), undefined);
  } finally {
    w.done();
  }
});

test('a batch that fails to commit leaves the machines as they were, in memory and on disk', () => {
  const w = world();
  try {
    w.tx(() => w.workstations.noteUser('CORP', 'WKS1', 'alice', 'CORP', T));
    assert.throws(() =>
      w.tx(() => {
        w.workstations.noteUser('CORP', 'WKS1', 'mallory', 'CORP', T + 1000);
        w.workstations.noteAddress('CORP', 'WKS1', '10.0.0.5', '', T + 1000);
        w.workstations.noteUser('CORP', 'WKS9', 'mallory', 'CORP', T + 1000);
        // Read from SQLite inside the transaction: it sees the batch's own machines.
        assert.equal(w.workstations.atAddress('10.0.0.5')?.user, 'mallory');
        throw new Error('disk full');
      }),
    );
    assert.equal(w.workstations.get('CORP', 'WKS1')?.user, 'alice');
    assert.equal(w.workstations.get('CORP', 'WKS1')?.ip, '');
    assert.equal(w.workstations.get('CORP', 'WKS9'), undefined);
    assert.equal(w.workstations.atAddress('10.0.0.5'), undefined);
    // The next batch writes only its own changes.
    w.tx(() => w.workstations.noteAddress('CORP', 'WKS2', '10.0.0.6', '', T));
    const again = w.reopen();
    assert.equal(again.workstations.get('CORP', 'WKS1')?.user, 'alice');
    assert.equal(again.workstations.get('CORP', 'WKS9'), undefined);
    assert.equal(again.workstations.get('CORP', 'WKS2')?.ip, '10.0.0.6');
  } finally {
    w.done();
  }
});
