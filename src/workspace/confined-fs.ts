import { constants } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, readlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { within } from '../domain/paths.ts';
import { resolveWorkspacePath } from './folder.ts';

// Reading and writing files of a conversation's folder by their bytes, the way src/agents/fs-access.ts
// writes for agents: the path is checked first (folder.ts), then opened at its real path with
// O_NOFOLLOW (a link swapped in meanwhile fails), created with O_EXCL, and on Linux the opened file is
// checked to be inside (/proc/self/fd) before a byte moves. O_NONBLOCK: a FIFO never hangs the server.

const READ = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const WRITE = constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const CREATE = WRITE | constants.O_CREAT | constants.O_EXCL;

export class ConfinedError extends Error {}

/** Where the opened file really is (Linux); refused when outside `folder`. No /proc: nothing more to check. */
async function verifyInside(fh: FileHandle, folder: string): Promise<void> {
  let where: string;
  try {
    where = await readlink(`/proc/self/fd/${fh.fd}`);
  } catch {
    return;
  }
  if (!within(where.replace(/ \(deleted\)$/, ''), folder)) throw new ConfinedError('The file left the folder.');
}

/** Opens an existing regular file of the folder for reading; the caller closes it. */
export async function openForRead(folder: string, real: string): Promise<FileHandle> {
  const fh = await open(real, READ);
  try {
    if (!(await fh.stat()).isFile()) throw new ConfinedError('Not a regular file.');
    await verifyInside(fh, folder);
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** At most `max` bytes from the start of an opened file. */
export async function readHead(fh: FileHandle, max: number): Promise<Buffer> {
  const buf = Buffer.alloc(max);
  let got = 0;
  while (got < max) {
    const { bytesRead } = await fh.read(buf, got, max - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/** The whole content of `rel`, or null when it does not exist. Refuses anything but a regular file. */
export async function readInside(folder: string, rel: string, maxBytes: number): Promise<Buffer | null> {
  const p = await resolveWorkspacePath(folder, rel);
  if (!p.stat) return null;
  const fh = await openForRead(folder, p.real);
  try {
    const size = (await fh.stat()).size;
    if (size > maxBytes) throw new ConfinedError(`Larger than ${maxBytes} bytes.`);
    return await readHead(fh, size + 1);
  } finally {
    await fh.close();
  }
}

/** Writes `content` to `rel`, creating it (and missing folders, never through a link) when absent. */
export async function writeInside(folder: string, rel: string, content: Buffer): Promise<void> {
  const p = await resolveWorkspacePath(folder, rel);
  let fh: FileHandle;
  if (p.stat) {
    if (!p.stat.isFile()) throw new ConfinedError(`${rel} is not a regular file.`);
    fh = await open(p.real, WRITE);
  } else {
    let dir = p.existing;
    for (const name of p.missing.slice(0, -1)) {
      dir = join(dir, name);
      await mkdir(dir).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST' || !(await lstat(dir)).isDirectory()) throw err;
      });
    }
    fh = await open(p.real, CREATE, 0o666);
  }
  try {
    if (!(await fh.stat()).isFile()) throw new ConfinedError(`${rel} is not a regular file.`);
    await verifyInside(fh, folder);
    await fh.truncate(0);
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
}

/** Removes the regular file `rel` (a missing one is fine). */
export async function removeInside(folder: string, rel: string): Promise<void> {
  const p = await resolveWorkspacePath(folder, rel);
  if (!p.stat) return;
  if (!p.stat.isFile()) throw new ConfinedError(`${rel} is not a regular file.`);
  await unlink(p.real);
}
