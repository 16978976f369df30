import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { confine, folderInside, pathError } from '../../domain/paths.ts';
import { parse } from '../validate.ts';

// The folder browser. Only folders inside GMGUI_ROOTS are listed, followed as src/domain/paths.ts
// does (a link that leads out is refused, dangling or not); every file system error is a 4xx
// (CONTRACT section 3). No route serves arbitrary files (the seed's /api/image/<any path> is gone).

const FolderBody = z.object({ path: z.string().min(1).max(4096) }).strict();

async function isFolderInside(path: string, roots: string[]): Promise<boolean> {
  try {
    await folderInside(path, roots);
    return true;
  } catch {
    // A loop, a dangling link, a link out: simply not a folder to show.
    return false;
  }
}

export async function fileRoutes(app: FastifyInstance): Promise<void> {
  const { config } = app.ctx;

  app.get('/api/home', async () => {
    let home: string | null = null;
    try {
      home = await confine(homedir(), config.roots);
    } catch {
      // An unusable home directory: the first root stands in.
    }
    return { home: home ?? config.roots[0], roots: config.roots };
  });

  app.post('/api/folders', async (req) => {
    const { path } = parse(FolderBody, req.body ?? {});
    const real = await folderInside(path, config.roots, 'not_found');
    let entries: Dirent[];
    try {
      entries = await readdir(real, { withFileTypes: true });
    } catch (e) {
      throw pathError(e);
    }
    const folders = [];
    for (const d of entries) {
      // A link counts when it leads to a folder that is itself inside the roots.
      if (
        d.isDirectory() ||
        (d.isSymbolicLink() && (await isFolderInside(`${real}/${d.name}`, config.roots)))
      ) {
        folders.push({ name: d.name, hidden: d.name.startsWith('.') });
      }
    }
    folders.sort((a, b) => Number(a.hidden) - Number(b.hidden) || a.name.localeCompare(b.name));
    return { path: real, folders };
  });
}
