import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { idempotent } from '../../commands/idempotency.ts';
import { retrySession } from '../../commands/messages.ts';
import { errors } from '../../domain/errors.ts';
import type { Session } from '../../domain/types.ts';
import { idempotencyOf } from '../idempotency-key.ts';
import { sendStored } from '../reply.ts';
import { parse, pathIds } from '../validate.ts';
import { pageHolder, pageStream, type RawPage, readRawPage } from './history-pages.ts';

const StatusQuery = z.object({
  status: z.enum(['pending', 'processing', 'completed', 'error', 'cancelled', 'interrupted']).optional(),
});
const RetryBody = z.object({ idempotencyKey: z.string().optional() }).strict();

/** The largest `limit` of a history page. */
const MAX_PAGE_EVENTS = 5_000;
const DEFAULT_PAGE_EVENTS = 1_000;

/** What a page adds around its events: `"events":[`, `],"nextAfter":` with a cursor, `}`. */
const ENVELOPE_BYTES = '"events":[],"nextAfter":}'.length + 16;

/** A page of a session's events (CONTRACT section 8, "Paged history"); `maxBytes` at most GMGUI_PAGE_BYTES. */
function pageQuery(pageBytes: number) {
  const whole = (min: number, max: number) =>
    z
      .string()
      .regex(/^\d{1,15}$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().min(min).max(max));
  return z.object({
    after: whole(0, Number.MAX_SAFE_INTEGER).optional(),
    limit: whole(1, MAX_PAGE_EVENTS).default(DEFAULT_PAGE_EVENTS),
    maxBytes: whole(1024, pageBytes).default(pageBytes),
  });
}

export async function sessionRoutes(app: FastifyInstance): Promise<void> {
  const { store, config, runner } = app.ctx;
  const PageQuery = pageQuery(config.pageBytes);

  /**
   * One page of a session's events after `after` (history-pages.ts): each event as the log stores it,
   * streamed, a large one slice by slice. `session` is the row, on first pages only (a continuation
   * already has it, and a long turn's row carries its whole answer). `nextAfter` is the cursor of the
   * next page, null when none is stored yet. The row is read in the page's first turn of the read
   * budget (limits/read-budget.ts): it can be as large as the turn's answer.
   */
  async function sendPage(
    reply: FastifyReply,
    load: () => Promise<{ session: Session; json: string } | null>,
    q: { after?: number; limit: number; maxBytes: number },
    withSession: (s: Session) => boolean,
  ) {
    const holder = pageHolder(store);
    let session: Session | null = null;
    let head = '';
    await holder.turn();
    try {
      const found = await load();
      session = found?.session ?? null;
      if (found && withSession(found.session)) head = `"session":${found.json},`;
    } finally {
      holder.done(head.length);
      if (!session) holder.release();
    }
    // No turn yet: nothing to page (and the answer stays exactly what it always was).
    if (!session) return reply.send({ session: null, events: [] });
    let page: RawPage;
    try {
      page = await readRawPage(
        store,
        { sessionId: session.id, after: q.after ?? 0 },
        { maxEvents: q.limit, maxBytes: q.maxBytes },
        Buffer.byteLength(head) + ENVELOPE_BYTES,
        holder,
      );
    } catch (err) {
      holder.release();
      throw err;
    }
    const nextAfter = page.more ? page.lastSeq : null;
    return reply
      .type('application/json; charset=utf-8')
      .send(pageStream(store, head, page, `,"nextAfter":${nextAfter}`, holder.release));
  }

  app.get('/api/conversations/:id/sessions', async (req) => {
    const { id } = pathIds(req, 'id');
    const { status } = parse(StatusQuery, req.query, 'query');
    if (!(await store.getConversation(id))) throw errors.notFound('Conversation');
    return { sessions: await store.listSessions(id, status) };
  });

  // The latest turn with the first page of its events; later pages come from /api/sessions/{id}?after=.
  app.get('/api/conversations/:id/sessions/latest', async (req, reply) => {
    const { id } = pathIds(req, 'id');
    const q = parse(PageQuery, req.query, 'query');
    const load = async () => {
      if (!(await store.getConversation(id))) throw errors.notFound('Conversation');
      return store.sessionJson({ latestOf: id });
    };
    return sendPage(reply, load, q, () => true);
  });

  app.get('/api/sessions/:id', async (req, reply) => {
    const { id } = pathIds(req, 'id');
    const q = parse(PageQuery, req.query, 'query');
    const load = async () => {
      const found = await store.sessionJson({ id });
      if (!found) throw errors.notFound('Session');
      return found;
    };
    return sendPage(reply, load, q, () => q.after === undefined);
  });

  app.post('/api/sessions/:id/retry', async (req, reply) => {
    const { id } = pathIds(req, 'id');
    parse(RetryBody, req.body ?? {});
    const { idem } = idempotencyOf(req, `retry:${id}`, {}, config.idempotencyTtlMs);
    const r = await store.transaction((tx) =>
      idempotent(tx, idem, async () => ({
        status: 201,
        body: { session: await retrySession(tx, id, { maxPending: config.maxPending }) },
      })),
    );
    if (!r.replayed) runner.wake();
    return sendStored(reply, r);
  });
}
