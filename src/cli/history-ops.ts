import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../config.ts';
import { describeUrl } from '../store/postgres/connection.ts';
import { SQLITE_FILE } from '../store/open.ts';
import { type VerifyReport, verifySqliteFile, verifyStore } from '../history/verify.ts';
import { type Command, complain, say } from './command.ts';
import { EXIT } from './exit-codes.ts';
import { envWithFlags, settingOptions, settingsHelp } from './settings.ts';

// `gmgui verify` and `gmgui backup`: operations on the data of a data directory (or a PostgreSQL
// database), safe while a server runs on it. Neither changes the data.

const FLAGS = ['data-dir', 'database-url'];

/** A SQLite error that means the file is not a sound database (open-db.ts refuses to start on these). */
const damaged = (e: unknown) => /SQLITE_(CORRUPT|NOTADB)/.test(String((e as { code?: string }).code ?? ''));

function printReport(r: VerifyReport, where: string): number {
  for (const d of r.differences) say(`DIFF  ${d}`);
  if (r.differences.length === 0) {
    say(`ok    ${where}: ${r.rows} rows equal the tables rebuilt from ${r.events} events`);
    return EXIT.ok;
  }
  say(`FAIL  ${where}: ${r.differences.length} differences between the tables and the event log`);
  return EXIT.differs;
}

async function verifyPostgres(url: string): Promise<number> {
  const { openPostgresStore } = await import('../store/postgres/postgres-store.ts');
  let store: Awaited<ReturnType<typeof openPostgresStore>>;
  try {
    store = await openPostgresStore(url);
  } catch (e) {
    complain(`PostgreSQL at ${describeUrl(url)} is unreachable: ${(e as Error).message}`);
    return EXIT.postgres;
  }
  try {
    return printReport(await verifyStore(store), `PostgreSQL ${describeUrl(url)}`);
  } finally {
    await store.close();
  }
}

function verifyFile(file: string): number {
  if (!existsSync(file)) {
    complain(`there is no database at ${file}`);
    return EXIT.failed;
  }
  try {
    return printReport(verifySqliteFile(file), file);
  } catch (e) {
    complain(`${file} cannot be verified: ${(e as Error).message}`);
    return damaged(e) ? EXIT.damaged : EXIT.failed;
  }
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'Rebuild the tables from the event log and report every difference',
  help: `Rebuilds conversations, messages and sessions from the event log alone, in memory, and compares
them field by field with the live tables (read from one snapshot, so a running server does not
disturb it). Each difference is printed on a "DIFF" line. Nothing is changed.

Flags:
${settingsHelp(FLAGS)}
  --file <path>              verify this SQLite file instead (a backup)

Exit codes: 0 the tables equal the log; 8 they differ (the DIFF lines say where); 1 no database or
it cannot be read; 5 PostgreSQL unreachable; 6 database damaged; 2 bad flag.`,
  options: { ...settingOptions(FLAGS), file: { type: 'string' } },
  async run(values) {
    if (typeof values.file === 'string') return verifyFile(resolve(values.file));
    const config = loadConfig(envWithFlags(values));
    if (config.databaseUrl) return verifyPostgres(config.databaseUrl);
    return verifyFile(join(config.dataDir, SQLITE_FILE));
  },
};

/** SQLite's online backup: all pages in one step, so the copy is one consistent moment of the source. */
async function backupSqlite(source: string, target: string): Promise<number> {
  if (!existsSync(source)) {
    complain(`there is no database at ${source}`);
    return EXIT.failed;
  }
  if (existsSync(target)) {
    complain(`${target} exists already; name a new file`);
    return EXIT.usage;
  }
  if (!existsSync(dirname(target))) {
    complain(`the folder ${dirname(target)} does not exist`);
    return EXIT.usage;
  }
  // Written beside the target and renamed at the end, so a failed backup never leaves a half file there.
  const partial = `${target}.partial-${process.pid}`;
  const db = new Database(source, { readonly: true, fileMustExist: true, timeout: 10_000 });
  try {
    await db.backup(partial, { progress: ({ totalPages }) => Math.max(totalPages, 1) * 2 });
  } catch (e) {
    rmSync(partial, { force: true });
    complain(`the backup failed: ${(e as Error).message}`);
    return damaged(e) ? EXIT.damaged : EXIT.failed;
  } finally {
    db.close();
  }
  const check = new Database(partial, { fileMustExist: true });
  let integrity: string;
  try {
    // The copy keeps the source's WAL mode; a plain file is what a backup should be.
    check.pragma('journal_mode = DELETE');
    integrity = check.pragma('integrity_check', { simple: true }) as string;
  } finally {
    check.close();
  }
  if (integrity !== 'ok') {
    rmSync(partial, { force: true });
    complain(`the copy failed its integrity check (${integrity}); nothing was written`);
    return EXIT.failed;
  }
  renameSync(partial, target);
  say(`ok    backup written to ${target} (${statSync(target).size} bytes)`);
  return printReport(verifySqliteFile(target), target);
}

export const backupCommand: Command = {
  name: 'backup',
  args: '<file>',
  summary: 'Copy the SQLite database to <file>, consistent, while the server runs',
  help: `Copies the data directory's SQLite database to a new file with SQLite's online backup: one
consistent moment of it, even while a server is writing. The copy is then checked (integrity_check and
"gmgui verify --file <file>"). Restore by stopping the server and putting the copy in place of
<data dir>/${SQLITE_FILE}.

With PostgreSQL (DATABASE_URL) use pg_dump, which makes a consistent copy of a live database: the
command prints the line to run.

Flags:
${settingsHelp(FLAGS)}

Exit codes: 0 written and verified; 1 failed (nothing left at <file>); 2 no <file>, or it exists;
6 database damaged; 8 the copy differs from its log (as the source does: run gmgui verify);
9 PostgreSQL (use pg_dump).`,
  options: settingOptions(FLAGS),
  async run(values, args) {
    if (args.length !== 1) {
      complain('name the file to write: gmgui backup <file>');
      return EXIT.usage;
    }
    const config = loadConfig(envWithFlags(values));
    if (config.databaseUrl) {
      say(`gmgui backup copies SQLite only. For PostgreSQL run pg_dump, which copies a live database consistently:
  pg_dump --format=custom --file ${JSON.stringify(args[0])} "$DATABASE_URL"
(database ${describeUrl(config.databaseUrl)}; restore with pg_restore).`);
      return EXIT.unsupported;
    }
    return backupSqlite(join(config.dataDir, SQLITE_FILE), resolve(args[0]));
  },
};
