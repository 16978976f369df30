import type { FastifyInstance } from 'fastify';
import { errors } from '../../domain/errors.ts';
import { BlobStore } from '../../workspace/checkpoints/blobs.ts';
import { conversationCheckpoints } from '../../workspace/checkpoints/log.ts';
import { revertTurn, turnChanges } from '../../workspace/checkpoints/turn-files.ts';
import { pathIds } from '../validate.ts';

// Per-turn checkpoints (docs/CONTRACT.md section 9, "Checkpoints"): which turns changed files, the
// diff of one turn, and reverting it.

export async function workspaceCheckpointRoutes(app: FastifyInstance): Promise<void> {
  const { store, config } = app.ctx;
  const deps = { store, roots: config.roots, blobs: BlobStore.forDataDir(config.dataDir) };

  app.get('/api/conversations/:id/checkpoints', async (req) => {
    const { id } = pathIds(req, 'id');
    if (!(await store.getConversation(id))) throw errors.notFound('Conversation');
    return { checkpoints: await conversationCheckpoints(store, id) };
  });

  app.get('/api/sessions/:id/changes', async (req) => {
    const { id } = pathIds(req, 'id');
    return turnChanges(deps, id);
  });

  app.post('/api/sessions/:id/revert', async (req) => {
    const { id } = pathIds(req, 'id');
    return revertTurn(deps, id);
  });
}
