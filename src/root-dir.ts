import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project folder (where package.json is), found by walking up from this module: the same answer
 * whether the server runs from src/ under tsx or from the bundle in dist/.
 */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'gmgui') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('gmgui: cannot find the project folder (package.json named gmgui)');
    dir = parent;
  }
}

export const ROOT_DIR = findRoot();
