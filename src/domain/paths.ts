import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';

// Confinement to GMGUI_ROOTS. Paths are compared after resolving symlinks, so a link inside a root
// that points outside it does not open a way out.

function within(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

async function realOrNull(p: string): Promise<string | null> {
  try {
    return await realpath(p);
  } catch {
    return null;
  }
}

/** Real roots, resolved once per call; a root that does not exist is skipped. */
async function realRoots(roots: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of roots) {
    const real = await realOrNull(r);
    if (real) out.push(real);
  }
  return out;
}

/**
 * The real path of `p` if it lies inside one of `roots`, else null. A path that does not exist yet
 * (a file an agent wants to create) is judged by its nearest existing ancestor.
 */
export async function confine(p: string, roots: string[]): Promise<string | null> {
  if (typeof p !== 'string' || p === '' || p.includes('\0')) return null;
  let probe = resolve(p);
  const missing: string[] = [];
  let real = await realOrNull(probe);
  while (real === null) {
    const parent = dirname(probe);
    if (parent === probe) return null;
    missing.unshift(basename(probe));
    probe = parent;
    real = await realOrNull(probe);
  }
  const full = resolve(real, ...missing);
  for (const root of await realRoots(roots)) {
    if (within(full, root)) return full;
  }
  return null;
}
