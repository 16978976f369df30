import { constants } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, readlink } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { type Resolved, errnoOf, realPaths, resolveInside, within } from '../domain/paths.ts';

// The agent's file access (ACP fs/read_text_file, fs/write_text_file), confined to the conversation's
// folder. Anything an agent or a repository supplies is untrusted (docs/CONTRACT.md section 3):
//  - the path is followed one component at a time (src/domain/paths.ts) and refused as soon as it, or
//    a symbolic link on its way, leads out of the folder, whether the link's target exists or not;
//  - the file is then opened at its real path with O_NOFOLLOW (a link swapped in meanwhile fails),
//    created with O_EXCL (a file or link that appeared meanwhile is not written through), and where
//    the system can tell (/proc/self/fd on Linux) the opened file is checked to be inside before a
//    byte is read or written.
// Every refusal and every file system error is an FsDenied with a sentence the agent can show,
// except "does not exist" (ENOENT), which ACP has its own error for.

export class FsDenied extends Error {}

/** Files larger than this are not read into memory for an agent. */
const MAX_READ_BYTES = 16 * 1024 * 1024;
/** O_NONBLOCK: opening a FIFO or a device must not hang the server; they are refused after fstat. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const WRITE_FLAGS = constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const CREATE_FLAGS = WRITE_FLAGS | constants.O_CREAT | constants.O_EXCL;
/** How often a write is retried when the folder changes under it (a file created at the same time). */
const WRITE_ATTEMPTS = 3;

/** An error from the file system as a sentence for the agent; ENOENT passes through unchanged. */
function denied(err: unknown, path: string): Error {
  if (err instanceof FsDenied) return err;
  const code = errnoOf(err);
  switch (code) {
    case undefined:
      return err instanceof Error ? err : new Error(String(err));
    case 'ENOENT':
      return err as Error;
    case 'ELOOP':
      return new FsDenied(`${path} goes through a loop of symbolic links (or too many of them).`);
    case 'ENOTDIR':
      return new FsDenied(`A part of ${path} is a file, not a folder.`);
    case 'EISDIR':
      return new FsDenied(`${path} is a folder, not a file.`);
    case 'ENAMETOOLONG':
      return new FsDenied(`${path} is too long, or a name in it is.`);
    case 'EACCES':
    case 'EPERM':
      return new FsDenied(`Permission denied: ${path}.`);
    case 'EEXIST':
      return new FsDenied(`${path} kept changing while it was being created; try again.`);
    case 'ENOSPC':
    case 'EDQUOT':
      return new FsDenied(`No space left to write ${path}.`);
    case 'EROFS':
      return new FsDenied(`${path} is on a read-only file system.`);
    default:
      return new FsDenied(`${path} cannot be accessed (${code}).`);
  }
}

function notFound(path: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`ENOENT: ${path}`);
  e.code = 'ENOENT';
  return e;
}

/**
 * Why the conversation's folder may not host an agent (it is a file, or leads out of the roots), or
 * null when it is fine. A folder that does not exist is left to the spawn, which says so in its words.
 */
export async function folderRefusal(cwd: string, roots: string[]): Promise<string | null> {
  try {
    const r = await resolveInside(cwd, await realPaths(roots));
    if (!r)
      return `The conversation's folder ${cwd} leads outside the folders gmgui may use (GMGUI_ROOTS), so no agent is started there.`;
    if (r.stat && !r.stat.isDirectory()) return `The conversation's folder ${cwd} is not a folder.`;
    return null;
  } catch (err) {
    return `The conversation's folder ${cwd} cannot be used: ${denied(err, cwd).message}`;
  }
}

export class FolderAccess {
  private constructor(
    /** Real path of the conversation folder. */
    readonly folder: string,
  ) {}

  /** The folder must itself be an existing folder inside one of the roots; otherwise the agent gets no file access. */
  static async create(cwd: string, roots: string[]): Promise<FolderAccess | null> {
    try {
      const r = await resolveInside(cwd, await realPaths(roots));
      return r?.stat?.isDirectory() ? new FolderAccess(r.real) : null;
    } catch {
      return null;
    }
  }

  private async check(path: string): Promise<Resolved> {
    if (typeof path !== 'string' || !isAbsolute(path)) throw new FsDenied(`Path must be absolute: ${path}`);
    if (path.includes('\0')) throw new FsDenied('A path may not contain a NUL byte.');
    let r: Resolved | null;
    try {
      r = await resolveInside(path, [this.folder]);
    } catch (err) {
      throw denied(err, path);
    }
    if (!r) {
      throw new FsDenied(
        `Access denied: ${path} is outside the conversation folder ${this.folder} (symbolic links that lead out of it are refused too).`,
      );
    }
    return r;
  }

  /** On Linux, where the opened file really is; refuses it when that is outside the folder. */
  private async verifyOpened(fh: FileHandle, path: string): Promise<void> {
    let where: string;
    try {
      where = await readlink(`/proc/self/fd/${fh.fd}`);
    } catch {
      return; // No /proc (macOS): the checks before opening are all there is.
    }
    if (!within(where.replace(/ \(deleted\)$/, ''), this.folder)) {
      throw new FsDenied(`Access denied: ${path} is outside the conversation folder ${this.folder}.`);
    }
  }

  async readTextFile(path: string, line?: number | null, limit?: number | null): Promise<string> {
    const r = await this.check(path);
    if (!r.stat) throw notFound(path);
    if (!r.stat.isFile())
      throw new FsDenied(r.stat.isDirectory() ? `${path} is a folder, not a file.` : `Not a file: ${path}`);
    let text: string;
    try {
      const fh = await open(r.real, READ_FLAGS);
      try {
        const info = await fh.stat();
        if (!info.isFile()) throw new FsDenied(`Not a file: ${path}`);
        if (info.size > MAX_READ_BYTES)
          throw new FsDenied(`File too large to read (${info.size} bytes): ${path}`);
        await this.verifyOpened(fh, path);
        text = await fh.readFile('utf8');
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw denied(err, path);
    }
    if ((line === undefined || line === null) && (limit === undefined || limit === null)) return text;
    const lines = text.split('\n');
    const start = Math.max(1, line ?? 1) - 1;
    const end = limit === undefined || limit === null ? lines.length : start + Math.max(0, limit);
    return lines.slice(start, end).join('\n');
  }

  async writeTextFile(path: string, content: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const r = await this.check(path);
      try {
        const fh = r.stat ? await this.openExisting(r, path) : await this.create(r, path);
        try {
          const info = await fh.stat();
          if (!info.isFile()) throw new FsDenied(`Not a file: ${path}`);
          await this.verifyOpened(fh, path);
          // Truncated only now, after the checks: a refused file keeps its content.
          await fh.truncate(0);
          await fh.writeFile(content, 'utf8');
        } finally {
          await fh.close();
        }
        return;
      } catch (err) {
        // Something appeared at the path between the check and the open: look again.
        const raced = errnoOf(err) === 'EEXIST' || errnoOf(err) === 'ELOOP' || errnoOf(err) === 'ENOENT';
        if (raced && attempt < WRITE_ATTEMPTS) continue;
        throw denied(err, path);
      }
    }
  }

  private async openExisting(r: Resolved, path: string): Promise<FileHandle> {
    if (!r.stat?.isFile()) {
      throw new FsDenied(r.stat?.isDirectory() ? `${path} is a folder, not a file.` : `Not a file: ${path}`);
    }
    return open(r.real, WRITE_FLAGS);
  }

  /** Creates the missing folders one by one (never through a link), then the file with O_EXCL. */
  private async create(r: Resolved, path: string): Promise<FileHandle> {
    let dir = r.existing;
    for (const name of r.missing.slice(0, -1)) {
      dir = join(dir, name);
      try {
        await mkdir(dir);
      } catch (err) {
        if (errnoOf(err) !== 'EEXIST') throw err;
        // Created at the same time by someone else: fine if it is a real folder, not a link.
        if (!(await lstat(dir)).isDirectory())
          throw new FsDenied(`A part of ${path} changed while it was being created.`);
      }
    }
    return open(r.real, CREATE_FLAGS, 0o666);
  }
}
