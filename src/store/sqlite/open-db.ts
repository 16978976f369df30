import { chmodSync, closeSync, existsSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { notWritable, StartupError } from '../../data-dir.ts';
import { newerSchemaError } from '../schema.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';
import { failureCode, sqliteFailure } from './sqlite-errors.ts';

// Opening the database file at start, so that what can be wrong with it is said in one sentence with
// its exit code (README: exit codes) instead of a stack trace, and a damaged file is never written to:
// 1. an existing file is checked first (PRAGMA quick_check) on a read-only connection: damaged, exit 6,
//    before anything could change it (journal mode, migrations, recovery);
// 2. the file and its -wal/-shm are made 0600, whatever the data dir's mode: they hold every
//    conversation (SQLite gives -wal and -shm the mode of the database file);
// 3. the writer connection: WAL, synchronous, migrations. A disk that is full or read-only is exit 3.

export const DAMAGED_EXIT_CODE = 6;

const SIDE_FILES = ['-wal', '-shm'];

/** The writer connection on `file`, checked, private and migrated; a StartupError when it cannot be. */
export function openWriter(file: string, synchronous: 'FULL' | 'NORMAL'): Database.Database {
  if (existsSync(file)) checkIntact(file);
  let db: Database.Database | null = null;
  try {
    makePrivate(file);
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = OFF');
    migrate(db);
    return db;
  } catch (e) {
    db?.close();
    throw asStartupError(file, e);
  }
}

/** The read-only connection the Store reads through (opened after the writer has set WAL mode). */
export function openReader(file: string): Database.Database {
  try {
    const rdb = new Database(file, { readonly: true, fileMustExist: true });
    rdb.pragma('busy_timeout = 5000');
    return rdb;
  } catch (e) {
    throw asStartupError(file, e);
  }
}

/**
 * PRAGMA quick_check on a read-only connection: exit 6 when the file is damaged, with nothing written.
 * (A read-only connection may create an empty -wal and -shm beside a WAL database; those it leaves
 * are removed again, so the data dir is left as it was found.)
 */
function checkIntact(file: string): void {
  const created = SIDE_FILES.map((s) => file + s).filter((f) => !existsSync(f));
  let problem: string | null = null;
  let check: Database.Database | null = null;
  try {
    check = new Database(file, { readonly: true, fileMustExist: true });
    const rows = check.pragma('quick_check') as Array<{ quick_check: string }>;
    if (rows[0]?.quick_check !== 'ok') problem = firstProblem(rows.map((r) => r.quick_check));
  } catch (e) {
    if (sqliteFailure(e) !== 'damaged') throw asStartupError(file, e);
    problem = (e as Error).message;
  } finally {
    check?.close();
    const wal = `${file}-wal`;
    if (created.includes(wal) && existsSync(wal) && statSync(wal).size === 0) {
      for (const f of created) rmSync(f, { force: true });
    }
  }
  if (problem !== null) throw damaged(file, problem);
}

/** quick_check's first finding, without its "*** in database main ***" heading. */
function firstProblem(lines: string[]): string {
  const found = lines.flatMap((l) => l.split('\n')).find((l) => l.trim() && !l.startsWith('***'));
  const text = (found ?? 'quick_check failed').trim();
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function damaged(file: string, problem: string): StartupError {
  return new StartupError(
    `The database ${file} is damaged (${problem}); gmgui changed nothing in it: restore it from a backup, or move it aside to start with an empty one.`,
    DAMAGED_EXIT_CODE,
  );
}

/** Creates the file 0600 if missing (SQLite would make it 0644), and narrows it and its side files. */
function makePrivate(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, ...SIDE_FILES.map((s) => file + s)]) {
    if (existsSync(f)) chmodSync(f, 0o600);
  }
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SQLITE_MIGRATIONS.length) throw newerSchemaError(current, SQLITE_MIGRATIONS.length);
  for (let v = current; v < SQLITE_MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(SQLITE_MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** A failure while opening: damaged (6), unwritable (3, e.g. a full disk), or as it was. */
function asStartupError(file: string, e: unknown): unknown {
  if (e instanceof StartupError) return e;
  const failure = sqliteFailure(e);
  if (failure === 'damaged') return damaged(file, (e as Error).message);
  if (failure === 'unwritable') return notWritable(dirname(file), failureCode(e));
  // Node's own file calls (makePrivate): ENOSPC, EACCES, EROFS, …
  const errno = (e as NodeJS.ErrnoException).code;
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) return notWritable(dirname(file), errno);
  return e;
}
