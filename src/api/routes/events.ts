import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errors } from '../../domain/errors.ts';
import { parse, pathIds } from '../validate.ts';

const Cursor = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

export async function eventRoutes(app: FastifyInstance): Promise<void> {
  const { store } = app.ctx;

  // Catch-up for one conversation: every event after the cursor, agent output included.
  app.get('/api/conversations/:id/events', async (req) => {
    const { id } = pathIds(req, 'id');
    const { after, limit } = parse(Cursor, req.query, 'query');
    // Events first, then lastSeq: an append in between can then only make lastSeq larger than the page
    // (more to fetch), never smaller than a seq the client was given.
    const events = await store.readEvents({ after, conversationId: id, limit });
    const lastSeq = await store.lastSeq(id);
    if (lastSeq === 0 && !(await store.getConversation(id))) throw errors.notFound('Conversation');
    return { events, lastSeq };
  });

  // Catch-up for the lifecycle log of all conversations (what /sync streams).
  app.get('/api/events', async (req) => {
    const { after, limit } = parse(Cursor, req.query, 'query');
    const events = await store.readEvents({ after, lifecycleOnly: true, limit });
    return { events, lastSeq: await store.lastSeq() };
  });
}
