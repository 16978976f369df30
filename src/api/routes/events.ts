import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { errors } from '../../domain/errors.ts';
import type { EventQuery } from '../../store/types.ts';
import { parse, pathIds } from '../validate.ts';
import { pageHolder, pageStream, type RawPage, readRawPage } from './history-pages.ts';

/** What the answer adds around its events: `{"events":[`, `],"lastSeq":…}`. */
const ENVELOPE_BYTES = '{"events":[],"lastSeq":}'.length + 16;

/** A page of the log (CONTRACT section 8, "Paged history"); `maxBytes` at most GMGUI_PAGE_BYTES. */
function cursorQuery(pageBytes: number) {
  return z.object({
    after: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(10_000).optional(),
    maxBytes: z.coerce.number().int().min(1024).max(pageBytes).optional(),
  });
}

/**
 * The caps of a page: without `limit`, 1000 events and GMGUI_PAGE_BYTES; with `limit` alone, that many
 * events whatever their size, as before `maxBytes` existed (clients that ask for N events get N).
 */
function capsOf(q: { limit?: number; maxBytes?: number }, pageBytes: number) {
  return {
    limit: q.limit ?? 1000,
    maxBytes: q.maxBytes ?? (q.limit === undefined ? pageBytes : Number.MAX_SAFE_INTEGER),
  };
}

export async function eventRoutes(app: FastifyInstance): Promise<void> {
  const { store, config } = app.ctx;
  const Cursor = cursorQuery(config.pageBytes);

  /**
   * The page streamed as stored (history-pages.ts), then `lastSeq` (the answer keeps its old shape: a
   * client reads on from its last event's seq until it reaches lastSeq). Events first, then lastSeq: an append in between can then only
   * make lastSeq larger than the page (more to fetch), never smaller than a seq the client was given.
   */
  async function sendLog(
    reply: FastifyReply,
    query: Omit<EventQuery, 'limit'>,
    q: { limit: number; maxBytes: number },
    readLast: () => Promise<number>,
  ) {
    const holder = pageHolder(store);
    let page: RawPage;
    let lastSeq: number;
    try {
      page = await readRawPage(
        store,
        query,
        { maxEvents: q.limit, maxBytes: q.maxBytes },
        ENVELOPE_BYTES,
        holder,
      );
      lastSeq = await readLast();
    } catch (err) {
      holder.release();
      throw err;
    }
    return reply
      .type('application/json; charset=utf-8')
      .send(pageStream(store, '', page, `,"lastSeq":${lastSeq}`, holder.release));
  }

  // Catch-up for one conversation: the events after the cursor, agent output included.
  app.get('/api/conversations/:id/events', async (req, reply) => {
    const { id } = pathIds(req, 'id');
    const q = parse(Cursor, req.query, 'query');
    return sendLog(reply, { after: q.after, conversationId: id }, capsOf(q, config.pageBytes), async () => {
      const lastSeq = await store.lastSeq(id);
      if (lastSeq === 0 && !(await store.getConversation(id))) throw errors.notFound('Conversation');
      return lastSeq;
    });
  });

  // Catch-up for the lifecycle log of all conversations (what /sync streams).
  app.get('/api/events', async (req, reply) => {
    const q = parse(Cursor, req.query, 'query');
    return sendLog(reply, { after: q.after, lifecycleOnly: true }, capsOf(q, config.pageBytes), () =>
      store.lastSeq(),
    );
  });
}
