import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Creates the data dir and proves we can write there, so a bad setting fails at start, not at first send. */
export async function prepareDataDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const probe = join(dir, `.write-test-${process.pid}`);
    await writeFile(probe, 'ok');
    await rm(probe);
  } catch (e) {
    throw notWritable(dir, (e as NodeJS.ErrnoException).code ?? 'error');
  }
}

/** Codes (Node's and SQLite's) that mean no space is left; said in words too. */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL', 'SQLITE_IOERR_SHMSIZE']);

/** Exit 3: the data dir cannot be written (no permission, read-only, disk full: `code` says which). */
export function notWritable(dir: string, code: string): StartupError {
  const why = DISK_FULL.has(code) ? `${code}: the disk is full` : code;
  return new StartupError(
    `The data directory ${dir} is not writable (${why}). Set GMGUI_DATA_DIR to a folder you can write to.`,
    3,
  );
}

/** The access token: GMGUI_TOKEN if set, else the one kept in the data dir (created once, mode 0600). */
export async function loadOrCreateToken(dir: string, given: string | null): Promise<string> {
  if (given) return given;
  const file = join(dir, 'token');
  try {
    const t = (await readFile(file, 'utf8')).trim();
    if (t) {
      await chmod(file, 0o600);
      return t;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const token = randomBytes(24).toString('base64url');
  try {
    await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'w' });
    await chmod(file, 0o600);
  } catch (e) {
    // A disk that filled up after the write probe, for one.
    throw notWritable(dir, (e as NodeJS.ErrnoException).code ?? 'error');
  }
  return token;
}
