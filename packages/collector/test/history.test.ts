import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/store/database';
import { IdentityTable } from '../src/store/identity-table';
import type { Entry } from '../src/identity/entry';
import { T, entry as baseEntry } from './entry-fixture';

const entry = (ip: string, user: string): Omit<Entry, 'revision'> =>
  baseEntry(ip, user, { workstation: 'WKS1', groups: [] });

test('history: a new address writes no history row until its holding ends; then the row is closed, and both answer "who had it then"', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsso-history-'));
  try {
    const db = openDatabase(join(dir, 'c.db'), 'normal');
    const table = new IdentityTable(db);
    const write = (fn: () => void): void =>
      db.transaction(() => {
        fn();
        table.flush();
      })();
    const alice = entry('198.18.71.1', 'alice');
    write(() => table.upsert(alice, 'logon', T + 10, T + 10));
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM history').get() as { n: number }).n, 0);
    // Same holder, another workstation: still one holding, from T + 10 at WKS1.
    write(() => table.upsert({ ...alice, workstation: 'WKS2' }, 'logon', T + 20, T + 20));
    write(() => table.upsert({ ...alice, user: 'bob' }, 'replaced', T + 30, T + 30));
    assert.deepEqual(db.prepare('SELECT user, workstation, from_ms, to_ms, ended_by FROM history').all(), [
      { user: 'alice', workstation: 'WKS1', from_ms: T + 10, to_ms: T + 30, ended_by: 'replaced' },
    ]);
    assert.equal(table.history.at('198.18.71.1', T + 25).at?.user, 'alice');
    assert.equal(table.history.at('198.18.71.1', T + 35).at?.user, 'bob');
    assert.deepEqual(
      table.history.at('198.18.71.1', T + 35).around.map((h) => [h.user, h.fromMs, h.toMs]),
      [
        ['bob', T + 30, undefined],
        ['alice', T + 10, T + 30],
      ],
    );
    write(() => table.delete('198.18.71.1', 'logoff', T + 40, T + 40));
    db.close();
    // After a restart the closed rows are all there is.
    const again = openDatabase(join(dir, 'c.db'), 'normal');
    const t2 = new IdentityTable(again);
    assert.deepEqual(
      t2.history.at('198.18.71.1', T + 35).around.map((h) => [h.user, h.fromMs, h.toMs, h.endedBy]),
      [
        ['bob', T + 30, T + 40, 'logoff'],
        ['alice', T + 10, T + 30, 'replaced'],
      ],
    );
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
