import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { StartupError } from '../data-dir.ts';
import { EXIT } from './exit-codes.ts';

// One server per data dir. A second server on the same data dir would run start-up recovery and mark
// the first one's live turns `interrupted`, so the server holds an exclusive lock on <data dir>/gmgui.lock
// for its whole life, taken before the store is opened.
//
// The lock is SQLite's: an exclusive-mode connection keeps a POSIX advisory lock on the file, which the
// kernel owns on the process's behalf. It goes with the process however the process ends, so a server
// killed with -9 leaves no stale lock and the next start takes over at once, while a live holder is never
// overridden (no heartbeat, no timeout, no guess from a pid). gmgui.pid next to it names the holder in
// messages and tells `gmgui stop` whom to signal; it is never what decides who holds the lock.
// PostgreSQL instances share a database, each with its own data dir: the lock is per data dir only.

export const LOCK_FILE = 'gmgui.lock';
export const PID_FILE = 'gmgui.pid';

/** How long a start keeps trying while the lock is only briefly taken (a `gmgui stop` probe, a racing start). */
const ACQUIRE_MS = 1_000;

export interface DataDirLock {
  /** Removes the pid file (if still ours) and lets the lock go; the process exiting does the same. */
  release(): void;
}

export type LockState = { held: false } | { held: true; pid: number | null };

type SqliteError = Error & { code?: string };

const busy = (e: unknown): boolean => (e as SqliteError).code?.startsWith('SQLITE_BUSY') ?? false;

/** One attempt; the open connection holds the lock, or null when someone else holds it. */
function tryLock(file: string): Database.Database | null {
  // No busy timeout: on contention this connection closes and retries, so two starts never wait on
  // each other's shared lock (a deadlock SQLite would only break by failing both).
  const db = new Database(file, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // No journal file beside the lock; the lock file holds nothing worth a journal.
    db.pragma('journal_mode = MEMORY');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    return db;
  } catch (e) {
    db.close();
    if (busy(e)) return null;
    throw e;
  }
}

/** Takes the data dir's lock or throws a StartupError: 7 when another server holds it. */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const file = join(dataDir, LOCK_FILE);
  const deadline = Date.now() + ACQUIRE_MS;
  let db: Database.Database | null = null;
  try {
    // Created 0600 like every data file (SQLite would make it 0644).
    closeSync(openSync(file, 'a', 0o600));
    for (;;) {
      db = tryLock(file);
      if (db || Date.now() > deadline) break;
      await sleep(20 + Math.random() * 60);
    }
  } catch (e) {
    const code = (e as SqliteError).code ?? 'error';
    throw new StartupError(
      `Cannot lock the data directory: ${file} (${code}). If no gmgui server is running, delete that file and start again.`,
      EXIT.dataDir,
    );
  }
  if (!db) throw await inUse(dataDir);
  const pidFile = join(dataDir, PID_FILE);
  const tmp = `${pidFile}.${process.pid}`;
  writeFileSync(tmp, `${process.pid}\n`, { mode: 0o600 });
  renameSync(tmp, pidFile);
  const holder = db;
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      if (readPid(dataDir) === process.pid) rmSync(pidFile, { force: true });
      holder.close();
    },
  };
}

/** Exit 7, with a sentence naming the process that holds the data dir. */
async function inUse(dataDir: string): Promise<StartupError> {
  const pid = await holderPid(dataDir);
  return new StartupError(
    `Another gmgui server (${pid === null ? 'pid unknown' : `pid ${pid}`}) is already running on the data directory ${dataDir}. ` +
      `Stop it first (gmgui stop --data-dir ${dataDir}), or give this one its own GMGUI_DATA_DIR.`,
    EXIT.dataDirInUse,
  );
}

/** Whether a server holds the data dir now, and its pid. Takes the lock for an instant only (read-only). */
export async function lockState(dataDir: string): Promise<LockState> {
  const file = join(dataDir, LOCK_FILE);
  if (!existsSync(file)) return { held: false };
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 0 });
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return { held: false };
  } catch (e) {
    if (!busy(e)) throw e;
    return { held: true, pid: await holderPid(dataDir) };
  } finally {
    db?.close();
  }
}

export function readPid(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dataDir, PID_FILE), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, under another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The holder's pid from the pid file. A holder writes it right after taking the lock, so a dead pid
 * there is a previous holder's: give the new one a moment to write its own.
 */
async function holderPid(dataDir: string): Promise<number | null> {
  for (let i = 0; i < 20; i++) {
    const pid = readPid(dataDir);
    if (pid !== null && isAlive(pid)) return pid;
    await sleep(50);
  }
  return null;
}
