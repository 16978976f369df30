import { randomBytes } from 'node:crypto';
import { chmod, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

// Small state files in the data dir (VAPID keys, push subscriptions; docs/CONTRACT.md "Push and the
// installable app"). Written whole and atomically: a temp file next to the target (mode 0600 from its
// creation, so the secret is never readable by others even for a moment), fsynced, renamed over the target,
// and the folder fsynced, so a crash leaves either the old file or the new one, never half of one.

/** The parsed JSON of `file`, or undefined when it does not exist. Other errors are thrown. */
export async function readJsonFile(file: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  // Files written by an older run may have been created with a wider mode: narrow it.
  await chmod(file, 0o600);
  return JSON.parse(text) as unknown;
}

export async function writeJsonFileAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    try {
      await fh.writeFile(`${JSON.stringify(value, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dirname(file));
}

/** Makes the rename itself durable. Some file systems refuse to fsync a folder: the rename stands anyway. */
async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // EISDIR/EINVAL/EPERM on some platforms: nothing more can be done.
  }
}

/** Moves an unreadable file aside (kept for a person to look at) so a fresh one can be written. */
export async function setAside(file: string): Promise<string> {
  const aside = `${file}.corrupt-${Date.now()}`;
  await rename(file, aside);
  return aside;
}
