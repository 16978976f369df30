import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idempotent } from '../../commands/idempotency.ts';
import { sendMessage } from '../../commands/messages.ts';
import { AppError, notFound } from '../../domain/errors.ts';
import { confine } from '../../domain/paths.ts';
import { idempotencyOf } from '../idempotency-key.ts';
import { sendStored } from '../reply.ts';
import { parse } from '../validate.ts';

const ConvParams = z.object({ id: z.string().min(1).max(200) });
const PageQuery = z.object({
  before: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});
const MessageParams = z.object({ id: z.string().min(1).max(200), mid: z.string().min(1).max(200) });

const SendBody = z
  .object({
    content: z.string().refine((s) => s.trim().length > 0, 'must not be empty'),
    agentId: z.string().min(1).max(200).optional(),
    folderContext: z.object({ path: z.string().min(1).max(4096) }).passthrough().optional(),
    idempotencyKey: z.string().optional(),
  })
  .strict();

export async function messageRoutes(app: FastifyInstance): Promise<void> {
  const { store, config, agents, runner } = app.ctx;

  app.get('/api/conversations/:id/messages', async (req) => {
    const { id } = parse(ConvParams, req.params, 'path');
    const { before, limit } = parse(PageQuery, req.query, 'query');
    if (!(await store.getConversation(id))) throw notFound('Conversation');
    if (before === undefined && limit === undefined) return { messages: await store.listMessages(id) };
    if (before !== undefined) {
      const anchor = await store.getMessage(before);
      if (!anchor || anchor.conversationId !== id) throw notFound('Message');
    }
    // One more than asked tells whether older messages remain, without counting them all.
    const want = limit ?? 100;
    const page = await store.listMessages(id, { before, limit: want + 1 });
    const hasMore = page.length > want;
    return { messages: hasMore ? page.slice(1) : page, hasMore };
  });

  app.post('/api/conversations/:id/messages', async (req, reply) => {
    const { id } = parse(ConvParams, req.params, 'path');
    const body = parse(SendBody, req.body ?? {});
    if (body.agentId !== undefined && !agents.has(body.agentId)) {
      throw new AppError(400, 'unknown_agent', `There is no agent "${body.agentId}". GET /api/agents lists them.`);
    }
    let folderContext: { path: string } | undefined;
    if (body.folderContext) {
      const real = await confine(body.folderContext.path, config.roots);
      if (!real) throw new AppError(403, 'outside_roots', 'That folder is outside the folders gmgui may use (GMGUI_ROOTS).');
      folderContext = { path: real };
    }
    const payload = { content: body.content, agentId: body.agentId, folderContext: body.folderContext };
    const { idem, key } = idempotencyOf(req, `messages:${id}`, payload, config.idempotencyTtlMs);
    const r = await store.transaction((tx) =>
      idempotent(tx, idem, async () => {
        const { message, session } = await sendMessage(tx, id, {
          idempotencyKey: key ?? undefined,
          content: body.content,
          agentId: body.agentId,
          folderContext,
        });
        return { status: 201, body: { message, session, idempotencyKey: key } };
      }),
    );
    if (!r.replayed) runner.wake();
    return sendStored(reply, r);
  });

  app.get('/api/conversations/:id/messages/:mid', async (req) => {
    const { id, mid } = parse(MessageParams, req.params, 'path');
    const message = await store.getMessage(mid);
    if (!message || message.conversationId !== id) throw notFound('Message');
    return { message };
  });
}
