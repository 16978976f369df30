import type { FastifyReply } from 'fastify';
import type { Reply } from '../commands/idempotency.ts';

/** Sends a stored reply as is: the body string is what the first request got, byte for byte. */
export function sendStored(reply: FastifyReply, r: Reply): FastifyReply {
  if (r.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(r.status).type('application/json; charset=utf-8').send(r.body);
}
