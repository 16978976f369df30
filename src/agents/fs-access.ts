import { mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

// The agent's file access (ACP fs/read_text_file, fs/write_text_file), confined to the conversation's
// folder. Paths are compared after resolving symlinks, so a link inside the folder that points out of
// it is refused too. A refusal happens before anything is read or written.

export class FsDenied extends Error {}

/** Files larger than this are not read into memory for an agent. */
const MAX_READ_BYTES = 16 * 1024 * 1024;

function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Real path of `p`, or of its nearest existing ancestor joined with the missing rest. */
async function realpathLenient(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const parent = dirname(p);
    if (parent === p) return p;
    return resolve(await realpathLenient(parent), p.slice(parent.length + 1));
  }
}

export class FolderAccess {
  private constructor(
    /** Real path of the conversation folder. */
    readonly folder: string,
  ) {}

  /** The folder must itself lie inside one of the roots; otherwise the agent gets no file access. */
  static async create(cwd: string, roots: string[]): Promise<FolderAccess | null> {
    const folder = await realpathLenient(resolve(cwd));
    for (const root of roots) {
      if (inside(folder, await realpathLenient(resolve(root)))) return new FolderAccess(folder);
    }
    return null;
  }

  private async check(path: string): Promise<string> {
    if (typeof path !== 'string' || !isAbsolute(path)) throw new FsDenied(`Path must be absolute: ${path}`);
    const real = await realpathLenient(resolve(path));
    if (!inside(real, this.folder)) {
      throw new FsDenied(`Access denied: ${path} is outside the conversation folder ${this.folder}.`);
    }
    return real;
  }

  async readTextFile(path: string, line?: number | null, limit?: number | null): Promise<string> {
    const real = await this.check(path);
    const info = await stat(real);
    if (!info.isFile()) throw new FsDenied(`Not a file: ${path}`);
    if (info.size > MAX_READ_BYTES)
      throw new FsDenied(`File too large to read (${info.size} bytes): ${path}`);
    const text = await readFile(real, 'utf8');
    if ((line === undefined || line === null) && (limit === undefined || limit === null)) return text;
    const lines = text.split('\n');
    const start = Math.max(1, line ?? 1) - 1;
    const end = limit === undefined || limit === null ? lines.length : start + Math.max(0, limit);
    return lines.slice(start, end).join('\n');
  }

  async writeTextFile(path: string, content: string): Promise<void> {
    const real = await this.check(path);
    await mkdir(dirname(real), { recursive: true });
    // Re-check after creating folders: a folder created concurrently could be a link out.
    await this.check(path);
    await writeFile(real, content, 'utf8');
  }
}
