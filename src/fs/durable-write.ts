import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

// Files in the data dir written whole and durably (attached images, checkpoint contents, push keys and
// subscriptions): a temp file next to the target, created 0600 (never readable by others even for a
// moment), written, fsynced, renamed over the target, and its folder fsynced. A crash leaves the old
// file or the new one, never half of one; a failure leaves no temp file behind.

export async function writeFileDurably(file: string, content: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(content);
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

/** Makes a rename or a new entry in `dir` durable. Some file systems refuse to fsync a folder: it stands anyway. */
export async function syncDir(dir: string): Promise<void> {
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
