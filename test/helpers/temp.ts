import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Temporary folders for tests, removed when the test process exits (whatever the outcome), so no
// test needs its own after() for them.

const made: string[] = [];

/** A new empty folder under the system temp dir, named `<prefix>XXXXXX`. */
export function tempDir(prefix = 'gmgui-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (made.length === 0) {
    process.once('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    });
  }
  made.push(dir);
  return dir;
}
