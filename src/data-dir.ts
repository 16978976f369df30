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
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new StartupError(
      `The data directory ${dir} is not writable (${code}). Set GMGUI_DATA_DIR to a folder you can write to.`,
      3,
    );
  }
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
  await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'w' });
  await chmod(file, 0o600);
  return token;
}
