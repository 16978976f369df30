import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createConversation, deleteConversation, updateConversation } from '../../commands/conversations.ts';
import { idempotent } from '../../commands/idempotency.ts';
import { revokeRule, rulesOf } from '../../commands/permissions.ts';
import { errors } from '../../domain/errors.ts';
import { folderInside } from '../../domain/paths.ts';
import { idempotencyOf } from '../idempotency-key.ts';
import { sendStored } from '../reply.ts';
import { Id, parse, pathIds } from '../validate.ts';

const CreateBody = z
  .object({
    agentId: Id,
    title: z.string().max(500).optional(),
    cwd: z.string().min(1).max(4096).optional(),
    idempotencyKey: z.string().optional(),
  })
  .strict();

const PatchBody = z
  .object({
    title: z.string().max(500).optional(),
    // With a title: it is an automatic one made from the first message (the agent's may replace it).
    titleSource: z.literal('prompt').optional(),
    status: z.enum(['active', 'archived']).optional(),
    settings: z.object({ autoApprove: z.boolean().optional() }).strict().optional(),
  })
  .strict();

const ListQuery = z.object({ q: z.string().max(500).optional() });
const RulesQuery = z.object({ conversationId: Id.optional() });

/** `If-Match: 3` or `If-Match: "3"` (an ETag); absent: no check. */
function ifMatchOf(header: string | string[] | undefined): number | null {
  if (header === undefined) return null;
  const raw = (Array.isArray(header) ? header[0] : header).trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  if (!/^\d{1,15}$/.test(raw)) {
    throw errors.invalidIfMatch();
  }
  return Number(raw);
}

export async function conversationRoutes(app: FastifyInstance): Promise<void> {
  const { store, config, agents, runner } = app.ctx;

  app.get('/api/conversations', async (req) => {
    const { q } = parse(ListQuery, req.query, 'query');
    return { conversations: await store.listConversations({ q }) };
  });

  app.post('/api/conversations', async (req, reply) => {
    const body = parse(CreateBody, req.body ?? {});
    if (!agents.has(body.agentId)) {
      throw errors.unknownAgent(body.agentId);
    }
    // An existing folder inside the roots, never reached through a link that leads out (paths.ts).
    const cwd = await folderInside(body.cwd ?? config.roots[0], config.roots);
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
    const { id } = pathIds(req, 'id');
    const conversation = await store.getConversation(id);
    if (!conversation) throw errors.notFound('Conversation');
    return { conversation };
  });

  const patch = async (req: import('fastify').FastifyRequest) => {
    const { id } = pathIds(req, 'id');
    const body = parse(PatchBody, req.body ?? {});
    const ifMatch = ifMatchOf(req.headers['if-match']);
    const conversation = await store.transaction((tx) => updateConversation(tx, id, body, ifMatch));
    return { conversation };
  };
  app.post('/api/conversations/:id', patch);
  app.patch('/api/conversations/:id', patch);

  app.delete('/api/conversations/:id', async (req) => {
    const { id } = pathIds(req, 'id');
    await store.transaction((tx) => deleteConversation(tx, id));
    return { deleted: true };
  });

  // Opens the conversation's agent session without a prompt (CONTRACT section 11), so its modes,
  // config options and commands are in `settings` before the first message. Answers once the session
  // is open (or a turn of the conversation is already opening it).
  app.post('/api/conversations/:id/agent-session', async (req) => {
    const { id } = pathIds(req, 'id');
    if (!(await store.getConversation(id))) throw errors.notFound('Conversation');
    if (!runner.openSession) throw errors.agentFailed('Agent sessions cannot be opened on this server.');
    await runner.openSession(id);
    const conversation = await store.getConversation(id);
    if (!conversation) throw errors.notFound('Conversation');
    return { conversation };
  });

  // The remembered "always allow" permission rules, of every conversation or of one (?conversationId=).
  app.get('/api/permissions/rules', async (req) => {
    const { conversationId } = parse(RulesQuery, req.query ?? {}, 'query');
    const all = conversationId
      ? [await store.getConversation(conversationId)].filter((c) => c !== null)
      : await store.listConversations();
    return { rules: all.flatMap(rulesOf) };
  });

  app.delete('/api/permissions/rules/:id', async (req) => {
    const { id } = pathIds(req, 'id');
    const candidates = (await store.listConversations()).filter((c) => c.settings.allowAlways.length > 0);
    const conversation = await store.transaction((tx) => revokeRule(tx, id, candidates));
    return { deleted: true, conversation };
  });
}
