import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idempotent } from '../../commands/idempotency.ts';
import { retrySession } from '../../commands/messages.ts';
import { notFound } from '../../domain/errors.ts';
import type { Session } from '../../domain/types.ts';
import { idempotencyOf } from '../idempotency-key.ts';
import { sendStored } from '../reply.ts';
import { parse } from '../validate.ts';

const IdParams = z.object({ id: z.string().min(1).max(200) });
const StatusQuery = z.object({
  status: z.enum(['pending', 'processing', 'completed', 'error', 'cancelled', 'interrupted']).optional(),
});
const RetryBody = z.object({ idempotencyKey: z.string().optional() }).strict();

/** A session's whole event history, however long: pages through the log. */
async function allSessionEvents(store: FastifyInstance['ctx']['store'], session: Session) {
  const events = [];
  let after = 0;
  for (;;) {
    const page = await store.readEvents({ after, sessionId: session.id, limit: 5000 });
    events.push(...page);
    if (page.length < 5000) return events;
    after = page[page.length - 1].seq;
  }
}

export async function sessionRoutes(app: FastifyInstance): Promise<void> {
  const { store, config, runner } = app.ctx;

  app.get('/api/conversations/:id/sessions', async (req) => {
    const { id } = parse(IdParams, req.params, 'path');
    const { status } = parse(StatusQuery, req.query, 'query');
    if (!(await store.getConversation(id))) throw notFound('Conversation');
    return { sessions: await store.listSessions(id, status) };
  });

  app.get('/api/conversations/:id/sessions/latest', async (req) => {
    const { id } = parse(IdParams, req.params, 'path');
    if (!(await store.getConversation(id))) throw notFound('Conversation');
    const session = await store.latestSession(id);
    return { session, events: session ? await allSessionEvents(store, session) : [] };
  });

  app.get('/api/sessions/:id', async (req) => {
    const { id } = parse(IdParams, req.params, 'path');
    const session = await store.getSession(id);
    if (!session) throw notFound('Session');
    return { session, events: await allSessionEvents(store, session) };
  });

  app.post('/api/sessions/:id/retry', async (req, reply) => {
    const { id } = parse(IdParams, req.params, 'path');
    parse(RetryBody, req.body ?? {});
    const { idem } = idempotencyOf(req, `retry:${id}`, {}, config.idempotencyTtlMs);
    const r = await store.transaction((tx) =>
      idempotent(tx, idem, async () => ({ status: 201, body: { session: await retrySession(tx, id) } })),
    );
    if (!r.replayed) runner.wake();
    return sendStored(reply, r);
  });
}
