import type { Stats } from 'node:fs';
import { lstat, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { type AppError, errors } from './errors.ts';

// Confinement of paths to allowed folders: GMGUI_ROOTS for everything the API accepts, the
// conversation's folder for an agent's file access (src/agents/fs-access.ts). A path is followed one
// component at a time, the way the kernel would (lstat, readlink), and refused the moment it leaves
// the allowed folders, so a symbolic link that leads out is refused whether its target exists or not
// (a dangling `CHANGELOG.md -> ../../../home/me/.config/autostart/x.desktop` must not let a write
// create a file out there). Links that stay inside are followed. See docs/CONTRACT.md section 3.

/** How many symbolic links one path may go through (Linux's MAXSYMLINKS); more is reported as ELOOP. */
const MAX_LINKS = 40;

/** True when `child` is `parent` or lies below it (both absolute and normalised). */
export function within(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** Where a path leads, with every symbolic link followed and every `..` applied. */
export interface Resolved {
  /** The real path: no link in it. A missing tail is joined as given (it would be created there). */
  real: string;
  /** lstat of `real` when it exists (a file, a folder, never a link); null when it does not exist. */
  stat: Stats | null;
  /** The deepest folder of `real` that exists (`real`'s parent, or `real` itself when it exists). */
  existing: string;
  /** The names below `existing` that do not exist yet, outermost first; empty when `real` exists. */
  missing: string[];
}

function errnoError(code: string, path: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: ${path}`);
  e.code = code;
  e.path = path;
  return e;
}

export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const names = (p: string) => p.split('/').filter((n) => n !== '' && n !== '.');

/**
 * Follows `p` (made absolute and normalised first) inside `bases` (real paths). Returns null as soon
 * as the path, or a link on its way, leads out of every base; throws the file system's error (ELOOP,
 * ENOTDIR, ENAMETOOLONG, EACCES, …) for a path that stays inside but cannot be followed. Components
 * above the bases (e.g. `/home`) are followed too, so a base reached through a link is still inside.
 */
export async function resolveInside(p: string, bases: string[]): Promise<Resolved | null> {
  const onTheWay = (dir: string) => bases.some((b) => within(dir, b) || within(b, dir));
  const inside = (dir: string) => bases.some((b) => within(dir, b));
  let pending = names(resolve(p));
  let cur = '/';
  let curStat: Stats | null = null;
  let links = 0;
  while (pending.length > 0) {
    const name = pending.shift() as string;
    if (name === '..') {
      cur = dirname(cur);
      curStat = null;
      continue;
    }
    const next = join(cur, name);
    let st: Stats;
    try {
      st = await lstat(next);
    } catch (err) {
      if (!onTheWay(next)) return null;
      if (errnoOf(err) !== 'ENOENT') throw err;
      if (pending.includes('..')) {
        // `missing/../x`: decide on the plain path it names, walked again from the top.
        pending = names(resolve(next, ...pending));
        cur = '/';
        curStat = null;
        continue;
      }
      const real = join(next, ...pending);
      if (!inside(real)) return null;
      return { real, stat: null, existing: cur, missing: [name, ...pending] };
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw errnoError('ELOOP', p);
      const target = await readlink(next);
      pending = [...names(target), ...pending];
      if (isAbsolute(target)) cur = '/';
      curStat = null;
      continue;
    }
    if (!onTheWay(next)) return null;
    // `file/anything` (even `file/..`) is an error for the kernel too.
    if (pending.length > 0 && !st.isDirectory()) throw errnoError('ENOTDIR', p);
    cur = next;
    curStat = st;
  }
  if (!inside(cur)) return null;
  return { real: cur, stat: curStat ?? (await lstat(cur)), existing: cur, missing: [] };
}

/** Real paths of `paths`; one that does not exist (or cannot be resolved) is skipped. */
export async function realPaths(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of paths) {
    try {
      out.push(await realpath(r));
    } catch {
      // A root that does not exist allows nothing.
    }
  }
  return out;
}

/** A file system error met while following a path a client gave, as the 4xx it deserves. */
export function pathError(err: unknown, what = 'That folder'): AppError {
  switch (errnoOf(err)) {
    case 'ENOENT':
      return errors.notFound(what);
    case 'ENOTDIR':
      return errors.notAFolder();
    case 'ELOOP':
      return errors.symlinkLoop();
    case 'ENAMETOOLONG':
      return errors.nameTooLong();
    case 'EACCES':
    case 'EPERM':
      return errors.forbidden(`${what} cannot be read: permission denied.`);
    case undefined:
      throw err;
    default:
      return errors.pathUnusable(errnoOf(err) as string);
  }
}

/**
 * The real path of `p` if it lies inside one of `roots`, else null. A path that does not exist yet
 * is judged by where it would be created. Throws a 4xx AppError for a path that cannot be followed
 * (a loop of links, a name too long, a file in the middle, no permission).
 */
export async function confine(p: string, roots: string[]): Promise<string | null> {
  if (typeof p !== 'string' || p === '' || p.includes('\0')) return null;
  try {
    return (await resolveInside(p, await realPaths(roots)))?.real ?? null;
  } catch (err) {
    throw pathError(err);
  }
}

/**
 * The real path of `p`, which must be an existing folder inside one of `roots` (a conversation's
 * folder, a folder to browse). Throws 403 outside_roots, 400 not_a_folder for a file, and for a folder
 * that does not exist 404 not_found (`missing: 'not_found'`) or 400 folder_not_found (the default).
 */
export async function folderInside(
  p: string,
  roots: string[],
  missing: 'not_found' | 'folder_not_found' = 'folder_not_found',
): Promise<string> {
  if (typeof p !== 'string' || p === '' || p.includes('\0')) throw errors.outsideRoots();
  let r: Resolved | null;
  try {
    r = await resolveInside(p, await realPaths(roots));
  } catch (err) {
    throw pathError(err);
  }
  if (!r) throw errors.outsideRoots();
  if (!r.stat) throw missing === 'not_found' ? errors.notFound('That folder') : errors.folderNotFound(p);
  if (!r.stat.isDirectory()) throw errors.notAFolder();
  return r.real;
}
