import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errors } from '../../domain/errors.ts';
import { idempotencyOf } from '../idempotency-key.ts';
import { sendStored } from '../reply.ts';
import { Id, parse, pathIds } from '../validate.ts';

// POST /api/conversations/{id}/fork (CONTRACT "The agent's own sessions"): a new conversation that continues from a
// message, the messages up to it copied as history. `forkedAgentSession` says whether the agent's
// own session was forked (ACP session/fork) or the fork starts a fresh one on its first message.
// Edit-and-resend of a user message is a fork at the message before it, then a send.

const ForkBody = z
  .object({
    messageId: Id,
    title: z.string().max(500).optional(),
    idempotencyKey: z.string().optional(),
  })
  .strict();

export async function forkRoutes(app: FastifyInstance): Promise<void> {
  const { config, runner } = app.ctx;

  app.post('/api/conversations/:id/fork', async (req, reply) => {
    const { id } = pathIds(req, 'id');
    const body = parse(ForkBody, req.body ?? {});
    const s = runner.agentSessions?.();
    if (!s) throw errors.agentFailed('Conversations cannot be forked on this server.');
    const payload = { messageId: body.messageId, title: body.title };
    const { idem } = idempotencyOf(req, `fork:${id}`, payload, config.idempotencyTtlMs);
    const r = await s.fork({ conversationId: id, messageId: body.messageId, title: body.title, idem });
    return sendStored(reply, r);
  });
}
