import { AppError, StoreUnavailableError } from '../../domain/errors.ts';

// What a failed SQLite call means. better-sqlite3 throws a SqliteError whose `code` is SQLite's extended
// result code (e.g. SQLITE_IOERR_WRITE); the primary code before the second underscore says the class.

export type SqliteFailure = 'damaged' | 'unwritable' | 'busy';

function codeOf(e: unknown): string {
  const code = e && typeof e === 'object' ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : '';
}

/** The class of failure, or null for anything else (a bug in a statement: let it surface as it is). */
export function sqliteFailure(e: unknown): SqliteFailure | null {
  const code = codeOf(e);
  if (/^SQLITE_(CORRUPT|NOTADB)/.test(code)) return 'damaged';
  if (/^SQLITE_(FULL|READONLY|CANTOPEN|PERM|IOERR)/.test(code)) return 'unwritable';
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) return 'busy';
  return null;
}

/** The SQLite code of an error, for messages ("SQLITE_FULL"), else its Node code or "error". */
export function failureCode(e: unknown): string {
  return codeOf(e) || 'error';
}

/** A client's mistake (AppError) passes through; a database that cannot serve becomes 503; a bug stays. */
export function mapSqliteError(e: unknown): unknown {
  if (e instanceof AppError) return e;
  return sqliteFailure(e) ? new StoreUnavailableError(e) : e;
}
