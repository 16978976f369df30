import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errors } from '../domain/errors.ts';
import { errnoOf, pathError, resolveInside } from '../domain/paths.ts';
import { ConfinedError, openForRead, readHead } from './confined-fs.ts';
import { workspaceErrors } from './errors.ts';
import { SNIFF_BYTES, fileKind, utf8Boundary } from './file-kind.ts';
import { existingWorkspacePath, inGitDir, type WorkspacePath } from './folder.ts';
import type { FileView, TreeEntry } from './types.ts';

// The file tree and the file viewer of a conversation's folder (docs/CONTRACT.md section 9, "Files").

/** Entries of one folder listing, at most. */
export const MAX_ENTRIES = 5000;
/** Text served to the viewer, at most (the rest is `truncated`). */
export const MAX_TEXT_BYTES = 2 * 1024 * 1024;
/** Files hashed whole, at most; and images served, at most. */
export const MAX_HASH_BYTES = 16 * 1024 * 1024;
export const MAX_IMAGE_BYTES = 16 * 1024 * 1024;

/** What a listed link is: its target's type when it stays inside, else `link` (not followed). */
async function linkEntry(folder: string, at: string): Promise<Pick<TreeEntry, 'type' | 'size' | 'link'>> {
  try {
    const r = await resolveInside(at, [folder]);
    if (!r?.stat || inGitDir(r.real.slice(folder.length))) return { type: 'link' };
    if (r.stat.isDirectory()) return { type: 'dir', link: true };
    if (r.stat.isFile()) return { type: 'file', size: r.stat.size, link: true };
    return { type: 'other', link: true };
  } catch {
    return { type: 'link' }; // a loop, a name too long: shown, not followed
  }
}

async function entryOf(folder: string, dir: WorkspacePath, d: Dirent): Promise<TreeEntry> {
  const at = join(dir.real, d.name);
  const path = dir.rel ? `${dir.rel}/${d.name}` : d.name;
  const base = { name: d.name, path, hidden: d.name.startsWith('.') };
  if (d.isSymbolicLink()) return { ...base, ...(await linkEntry(folder, at)) };
  if (d.isDirectory()) return { ...base, type: 'dir' };
  if (!d.isFile()) return { ...base, type: 'other' };
  const size = await lstat(at).then(
    (s) => s.size,
    () => undefined,
  );
  return { ...base, type: 'file', ...(size === undefined ? {} : { size }) };
}

const rank = (e: { type?: string; isDirectory?: () => boolean }) =>
  e.type === 'dir' || e.isDirectory?.() ? 0 : 1;

/** One level of a folder: folders first, then the rest, each by name; `.git` left out. */
export async function listFolder(folder: string, given: string) {
  const dir = await existingWorkspacePath(folder, given);
  if (!dir.stat.isDirectory()) throw errors.notAFolder();
  let found: Dirent[];
  try {
    found = await readdir(dir.real, { withFileTypes: true });
  } catch (err) {
    throw pathError(err);
  }
  found = found.filter((d) => d.name !== '.git');
  const truncated = found.length > MAX_ENTRIES;
  // A huge folder: only the entries that will be shown are looked at (links counted as files here).
  if (truncated) found = found.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name)).slice(0, MAX_ENTRIES);
  const entries: TreeEntry[] = [];
  for (const d of found) entries.push(await entryOf(folder, dir, d));
  entries.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  return { path: dir.rel, entries, truncated };
}

/** A refusal of opening a checked path, as the 4xx it deserves. */
function openError(err: unknown, given: string) {
  if (err instanceof ConfinedError) {
    return err.message.startsWith('Not a regular') ? workspaceErrors.notAFile(given) : workspaceErrors.outsideFolder(given);
  }
  if (errnoOf(err) === 'ELOOP') return workspaceErrors.outsideFolder(given); // a link swapped in
  return pathError(err, 'That file');
}

async function openChecked(folder: string, given: string) {
  const p = await existingWorkspacePath(folder, given);
  if (!p.stat.isFile()) throw workspaceErrors.notAFile(given || '.');
  try {
    return { p, fh: await openForRead(folder, p.real) };
  } catch (err) {
    throw openError(err, given);
  }
}

/** The viewer's look at one file: text (up to MAX_TEXT_BYTES), an image's type, or a binary's metadata. */
export async function readFileView(folder: string, given: string): Promise<FileView> {
  const { p, fh } = await openChecked(folder, given);
  try {
    const info = await fh.stat();
    const head = await readHead(fh, Math.min(info.size, SNIFF_BYTES));
    const kind = fileKind(basename(p.real), head);
    const meta = { path: p.rel, name: basename(p.real), size: info.size, mtime: info.mtimeMs, ...kind };
    if (kind.kind !== 'text') return { ...meta, truncated: false };
    const whole = info.size <= MAX_HASH_BYTES ? await readHead(fh, MAX_HASH_BYTES + 1) : null;
    const shown = (whole ?? (await readHead(fh, MAX_TEXT_BYTES))).subarray(0, MAX_TEXT_BYTES);
    const truncated = (whole?.length ?? info.size) > shown.length;
    const text = shown.subarray(0, truncated ? utf8Boundary(shown) : shown.length).toString('utf8');
    const hash = whole ? createHash('sha256').update(whole).digest('hex') : undefined;
    return { ...meta, text, truncated, ...(hash ? { hash } : {}) };
  } catch (err) {
    throw err instanceof ConfinedError || errnoOf(err) ? openError(err, given) : err;
  } finally {
    await fh.close();
  }
}

/** An image's bytes and type; anything else is refused. */
export async function readImage(folder: string, given: string): Promise<{ mime: string; bytes: Buffer }> {
  const { p, fh } = await openChecked(folder, given);
  try {
    const info = await fh.stat();
    const kind = fileKind(basename(p.real), await readHead(fh, Math.min(info.size, SNIFF_BYTES)));
    if (kind.kind !== 'image') throw workspaceErrors.notAFile(given, 'is not an image (only images are served as they are)');
    if (info.size > MAX_IMAGE_BYTES) throw workspaceErrors.fileTooLarge(info.size, MAX_IMAGE_BYTES);
    return { mime: kind.mime, bytes: await readHead(fh, info.size) };
  } finally {
    await fh.close();
  }
}
