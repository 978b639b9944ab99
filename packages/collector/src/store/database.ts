import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { FssoError, ensurePrivateFile, errorMessage } from '@fsso/common';
import { MIGRATIONS } from './schema';

export type Db = Database.Database;

/**
 * Opens (and creates or migrates) the collector's SQLite file. WAL lets readers (Sync snapshots,
 * admin queries) run beside the writer; `synchronous` decides whether a commit waits for fsync.
 */
export function openDatabase(path: string, durability: 'full' | 'normal'): Db {
  let db: Db;
  try {
    // The table says who sits where: 0600 whatever the umask. SQLite gives the -wal and -shm
    // files the main file's mode, so they are private too.
    if (path !== ':memory:') ensurePrivateFile(path);
    db = new Database(path);
  } catch (err) {
    throw new FssoError('FSSO_DB_OPEN', `cannot open the database ${path} (${errorMessage(err)}); check the path and its permissions`);
  }
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  migrate(db, path);
  return db;
}

function migrate(db: Db, path: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new FssoError('FSSO_DB_TOO_NEW', `the database ${path} has schema version ${current}, newer than this collector knows (${MIGRATIONS.length}); run a newer collector or restore a backup`);
  }
  db.transaction(() => {
    for (let v = current; v < MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v] ?? '');
    }
    db.pragma(`user_version = ${MIGRATIONS.length}`);
    // A random id per database: firewalls holding a revision of another table must not resume.
    db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('table_id', ?)").run(randomUUID());
    db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('revision', '0')").run();
  })();
}

export function readMeta(db: Db, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}
