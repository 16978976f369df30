import { chmod, readFile, rename } from 'node:fs/promises';
import { writeFileDurably } from '../fs/durable-write.ts';

// Small state files in the data dir (VAPID keys, push subscriptions; docs/CONTRACT.md "Push and the
// installable app"). Written whole and atomically (src/fs/durable-write.ts): a crash leaves either the
// old file or the new one, never half of one, and the secret is never readable by others.

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
  await writeFileDurably(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Moves an unreadable file aside (kept for a person to look at) so a fresh one can be written. */
export async function setAside(file: string): Promise<string> {
  const aside = `${file}.corrupt-${Date.now()}`;
  await rename(file, aside);
  return aside;
}
