import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { realPaths } from '../../domain/paths.ts';
import { listFolder, readFileView, readImage } from '../../workspace/files.ts';
import { MAX_PATH_CHARS, conversationFolder, resolveWorkspacePath } from '../../workspace/folder.ts';
import { gitDiff, gitStatus } from '../../workspace/git/index.ts';
import { parse, pathIds } from '../validate.ts';

// The conversation's folder as the UI sees it (docs/CONTRACT.md section 9, "Files" and "Changes"):
// one level of its tree, one file, an image's bytes, the git status and diff. Every path goes through
// src/workspace/folder.ts, the agents' confinement.

const PathQuery = z.object({ path: z.string().max(MAX_PATH_CHARS).default('') });

/** What the SVG or any image may do when opened on its own: nothing but show itself. */
const IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

export async function workspaceFileRoutes(app: FastifyInstance): Promise<void> {
  const { store, config } = app.ctx;

  const target = async (req: FastifyRequest) => {
    const { id } = pathIds(req, 'id');
    const { path } = parse(PathQuery, req.query ?? {}, 'query');
    return { folder: await conversationFolder(store, config.roots, id), path };
  };

  app.get('/api/conversations/:id/tree', async (req) => {
    const { folder, path } = await target(req);
    return listFolder(folder, path);
  });

  app.get('/api/conversations/:id/file', async (req) => {
    const { folder, path } = await target(req);
    return readFileView(folder, path);
  });

  app.get('/api/conversations/:id/file/raw', async (req, reply) => {
    const { folder, path } = await target(req);
    const { mime, bytes } = await readImage(folder, path);
    return reply
      .type(mime)
      .header('content-security-policy', IMAGE_CSP)
      .header('cache-control', 'no-store')
      .header('content-disposition', 'inline')
      .send(bytes);
  });

  app.get('/api/conversations/:id/git/status', async (req) => {
    const { folder } = await target(req);
    return gitStatus(folder, await realPaths(config.roots));
  });

  app.get('/api/conversations/:id/git/diff', async (req) => {
    const { folder, path } = await target(req);
    const rel = path ? (await resolveWorkspacePath(folder, path)).rel : '';
    return gitDiff(folder, await realPaths(config.roots), rel);
  });
}
