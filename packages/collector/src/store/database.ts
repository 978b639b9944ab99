import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  DatabaseTooNewError,
  DatabaseNotSqliteError,
  DatabaseOpenError,
  FssoError,
  ensurePrivateFile,
  errorMessage,
} from '@fsso/common';
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
    throw new DatabaseOpenError(`cannot open the database ${path}: ${openProblem(err, path)}`, path);
  }
  try {
    // The first statement reads the header: a file that is not SQLite fails here, before anything
    // is written to it, so the operator's file is left as it was.
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    migrate(db, path);
  } catch (err) {
    db.close();
    if (err instanceof FssoError) throw err;
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new DatabaseNotSqliteError(
        `the database ${path} is not an SQLite database of the collector (${errorMessage(err)}); it was left untouched: point "database" (or "dataDir") at another file, or move it away to start with an empty table`,
        path,
      );
    }
    throw new DatabaseOpenError(
      `cannot use the database ${path} (${code || 'error'}: ${errorMessage(err)}); check that its folder is writable and the disk has space`,
      path,
    );
  }
  return db;
}

/** Why the file or its folder cannot be opened, with the fix, from a Node or SQLite error. */
function openProblem(err: unknown, path: string): string {
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  const at = err instanceof Error && 'path' in err && typeof err.path === 'string' ? err.path : dirname(path);
  switch (code) {
    case 'ENOTDIR':
      return `${at} is a file, not a folder; set "dataDir" to a folder (or "database" to a file in one)`;
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return `${at} cannot be written (${code}); set "dataDir" to a folder the collector's user may write, or fix its owner and mode`;
    case 'ENOENT':
      return `${at} cannot be created (ENOENT: its parent does not take new folders, as under /proc); set "dataDir" to a folder on a normal file system`;
    case 'EISDIR':
      return `${path} is a folder; set "database" to a file path`;
    default:
      return `${errorMessage(err)}; check the path and its permissions`;
  }
}

function migrate(db: Db, path: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new DatabaseTooNewError(
      `the database ${path} has schema version ${current}, newer than this collector knows (${MIGRATIONS.length}); run a newer collector or restore a backup`,
      path,
      current,
      MIGRATIONS.length,
    );
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
