import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createConversation, deleteConversation, updateConversation } from '../../commands/conversations.ts';
import { idempotent } from '../../commands/idempotency.ts';
import { AppError, notFound } from '../../domain/errors.ts';
import { confine } from '../../domain/paths.ts';
import { idempotencyOf } from '../idempotency-key.ts';
import { sendStored } from '../reply.ts';
import { parse } from '../validate.ts';

const IdParams = z.object({ id: z.string().min(1).max(200) });

const CreateBody = z
  .object({
    agentId: z.string().min(1).max(200),
    title: z.string().max(500).optional(),
    cwd: z.string().min(1).max(4096).optional(),
    idempotencyKey: z.string().optional(),
  })
  .strict();

const PatchBody = z
  .object({
    title: z.string().max(500).optional(),
    status: z.enum(['active', 'archived']).optional(),
    settings: z.object({ autoApprove: z.boolean().optional() }).strict().optional(),
  })
  .strict();

const ListQuery = z.object({ q: z.string().max(500).optional() });

/** `If-Match: 3` or `If-Match: "3"` (an ETag); absent: no check. */
function ifMatchOf(header: string | string[] | undefined): number | null {
  if (header === undefined) return null;
  const raw = (Array.isArray(header) ? header[0] : header).trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  if (!/^\d{1,15}$/.test(raw)) {
    throw new AppError(400, 'invalid_if_match', 'If-Match must be the conversation version, a whole number.');
  }
  return Number(raw);
}

export async function conversationRoutes(app: FastifyInstance): Promise<void> {
  const { store, config, agents } = app.ctx;

  app.get('/api/conversations', async (req) => {
    const { q } = parse(ListQuery, req.query, 'query');
    return { conversations: await store.listConversations({ q }) };
  });

  app.post('/api/conversations', async (req, reply) => {
    const body = parse(CreateBody, req.body ?? {});
    if (!agents.has(body.agentId)) {
      throw new AppError(400, 'unknown_agent', `There is no agent "${body.agentId}". GET /api/agents lists them.`);
    }
    const cwd = await confine(body.cwd ?? config.roots[0], config.roots);
    if (!cwd) throw new AppError(403, 'outside_roots', 'That folder is outside the folders gmgui may use (GMGUI_ROOTS).');
    const payload = { agentId: body.agentId, title: body.title, cwd: body.cwd };
    const { idem } = idempotencyOf(req, 'conversations', payload, config.idempotencyTtlMs);
    const r = await store.transaction((tx) =>
      idempotent(tx, idem, async () => ({
        status: 201,
        body: { conversation: await createConversation(tx, { agentId: body.agentId, title: body.title, cwd }) },
      })),
    );
    return sendStored(reply, r);
  });

  app.get('/api/conversations/:id', async (req) => {
    const { id } = parse(IdParams, req.params, 'path');
    const conversation = await store.getConversation(id);
    if (!conversation) throw notFound('Conversation');
    return { conversation };
  });

  const patch = async (req: import('fastify').FastifyRequest) => {
    const { id } = parse(IdParams, req.params, 'path');
    const body = parse(PatchBody, req.body ?? {});
    const ifMatch = ifMatchOf(req.headers['if-match']);
    const conversation = await store.transaction((tx) => updateConversation(tx, id, body, ifMatch));
    return { conversation };
  };
  app.post('/api/conversations/:id', patch);
  app.patch('/api/conversations/:id', patch);

  app.delete('/api/conversations/:id', async (req) => {
    const { id } = parse(IdParams, req.params, 'path');
    await store.transaction((tx) => deleteConversation(tx, id));
    return { deleted: true };
  });
}
