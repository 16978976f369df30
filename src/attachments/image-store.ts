import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir, writeFileDurably } from '../fs/durable-write.ts';

// Attached images, stored durably by their SHA-256 under `<data dir>/attachments/ab/abcdef…` (the
// first two hex digits make a folder, so no folder holds too many files). A file is written under a
// temporary name, fsynced, renamed into place and its folder fsynced, all before the message that
// names it commits (src/api/routes/messages.ts): a stored message never names bytes a crash lost.
// The same bytes are stored once. Files of messages that never committed (a failed request) stay;
// they are harmless and named only by their content.

const SHA256 = /^[0-9a-f]{64}$/;

export class ImageStore {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'attachments');
  }

  static isSha256(s: string): boolean {
    return SHA256.test(s);
  }

  pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  /** Stores the bytes under their hash (computed by the caller) and returns once they are durable. */
  async put(sha256: string, bytes: Uint8Array): Promise<void> {
    const final = this.pathOf(sha256);
    const folder = join(this.dir, sha256.slice(0, 2));
    if (await exists(final)) return;
    const created = !(await exists(folder));
    await mkdir(folder, { recursive: true });
    if (created) {
      await syncDir(this.dir);
      await syncDir(join(this.dir, '..'));
    }
    await writeFileDurably(final, bytes);
  }

  /** The stored bytes, or null when this data directory does not have them. */
  async get(sha256: string): Promise<Buffer | null> {
    if (!SHA256.test(sha256)) return null;
    try {
      return await readFile(this.pathOf(sha256));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
