import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../../fs/durable-write.ts';

// File contents saved by checkpoints (docs/CONTRACT.md section 9, "Checkpoints"), stored by their
// SHA-256 under <data dir>/checkpoints/: the same content saved by many turns takes its space once,
// and the log's events name contents by hash. A file is written whole and durably
// (src/fs/durable-write.ts), so a reader never sees half of one.

const HASH = /^[0-9a-f]{64}$/;

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export class BlobStore {
  constructor(readonly dir: string) {}

  /** Where the BlobStore of a data directory keeps its files. */
  static forDataDir(dataDir: string): BlobStore {
    return new BlobStore(join(dataDir, 'checkpoints'));
  }

  private pathOf(hash: string): string {
    return join(this.dir, hash.slice(0, 2), hash);
  }

  /** Saves `content` (once) and returns its hash. */
  async put(content: Buffer): Promise<string> {
    const hash = sha256(content);
    const path = this.pathOf(hash);
    if (await stat(path).then(() => true, () => false)) return hash;
    await mkdir(join(this.dir, hash.slice(0, 2)), { recursive: true, mode: 0o700 });
    await writeFileDurably(path, content);
    return hash;
  }

  /** The content saved under `hash`, or null when this data directory does not have it. */
  async get(hash: string): Promise<Buffer | null> {
    if (!HASH.test(hash)) return null;
    const content = await readFile(this.pathOf(hash)).catch(() => null);
    // A damaged file is as good as a missing one.
    return content && sha256(content) === hash ? content : null;
  }
}
