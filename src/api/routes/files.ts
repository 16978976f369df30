import { readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import { confine } from '../../domain/paths.ts';
import { parse } from '../validate.ts';

// The folder browser. Only folders inside GMGUI_ROOTS are listed; no route serves arbitrary files
// (the seed's /api/image/<any path> is gone).

const FolderBody = z.object({ path: z.string().min(1).max(4096) }).strict();

async function isFolderInside(path: string, roots: string[]): Promise<boolean> {
  const real = await confine(path, roots);
  if (!real) return false;
  try {
    return (await stat(real)).isDirectory();
  } catch {
    return false;
  }
}

export async function fileRoutes(app: FastifyInstance): Promise<void> {
  const { config } = app.ctx;

  app.get('/api/home', async () => {
    const home = (await confine(homedir(), config.roots)) ?? config.roots[0];
    return { home, roots: config.roots };
  });

  app.post('/api/folders', async (req) => {
    const { path } = parse(FolderBody, req.body ?? {});
    const real = await confine(path, config.roots);
    if (!real) throw new AppError(403, 'outside_roots', 'That folder is outside the folders gmgui may use (GMGUI_ROOTS).');
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(real, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new AppError(404, 'not_found', 'That folder does not exist.');
      if (code === 'ENOTDIR') throw new AppError(400, 'not_a_folder', 'That path is a file, not a folder.');
      if (code === 'EACCES' || code === 'EPERM') throw new AppError(403, 'forbidden', 'That folder cannot be read.');
      throw e;
    }
    const folders = [];
    for (const d of entries) {
      // A link counts when it leads to a folder that is itself inside the roots.
      if (d.isDirectory() || (d.isSymbolicLink() && (await isFolderInside(`${real}/${d.name}`, config.roots)))) {
        folders.push({ name: d.name, hidden: d.name.startsWith('.') });
      }
    }
    folders.sort((a, b) => Number(a.hidden) - Number(b.hidden) || a.name.localeCompare(b.name));
    return { path: real, folders };
  });
}
