import { errors, notFound } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { Attachment, Message, Session } from '../domain/types.ts';
import type { Tx } from '../store/types.ts';
import { recordMessage, recordSessionCreated } from './record.ts';

export function newSession(
  now: number,
  fields: Pick<Session, 'conversationId' | 'messageId' | 'agentId'> & { retryOf?: string },
): Session {
  return {
    id: newId('sess'),
    conversationId: fields.conversationId,
    messageId: fields.messageId,
    agentId: fields.agentId,
    status: 'pending',
    created_at: now,
    started_at: null,
    completed_at: null,
    response: null,
    error: null,
    stopReason: null,
    retryOf: fields.retryOf ?? null,
    promptSent: false,
  };
}

/**
 * At most `max` sessions of a conversation wait as `pending` (GMGUI_MAX_PENDING; 0 or absent: no cap).
 * Counted in the transaction that adds one, so a replayed send (which never gets here) is never refused.
 */
async function assertQueueRoom(tx: Tx, conversationId: string, max: number | undefined): Promise<void> {
  if (!max) return;
  if ((await tx.countPendingSessions(conversationId, max)) >= max) throw errors.tooManyPending(max);
}

/**
 * Stores the user's message and its session (`pending`; the runner picks it up) in one go.
 * A message to an unknown conversation is refused and nothing is stored.
 */
export async function sendMessage(
  tx: Tx,
  conversationId: string,
  input: {
    content: string;
    agentId?: string;
    folderContext?: { path: string };
    /** Already checked and, for images, stored (src/attachments/). */
    attachments?: Attachment[];
    idempotencyKey?: string;
    maxPending?: number;
  },
): Promise<{ message: Message; session: Session }> {
  const c = await tx.getConversation(conversationId);
  if (!c) throw notFound('Conversation');
  await assertQueueRoom(tx, conversationId, input.maxPending);
  const messageId = newId('msg');
  const session = newSession(tx.now, { conversationId, messageId, agentId: input.agentId ?? c.agentId });
  const message: Message = {
    id: messageId,
    conversationId,
    role: 'user',
    content: input.content,
    sessionId: session.id,
    ...(input.folderContext ? { folderContext: { path: input.folderContext.path } } : {}),
    ...(input.attachments?.length ? { attachments: input.attachments } : {}),
    created_at: tx.now,
  };
  // The key travels on the event so a client's unsent copy is matched exactly, even before the reply.
  await recordMessage(tx, message, input.idempotencyKey);
  await recordSessionCreated(tx, session);
  return { message, session };
}

const RETRYABLE = new Set(['error', 'cancelled', 'interrupted']);

/** A new, visible session for the same user message: an agent turn is never re-run silently. */
export async function retrySession(
  tx: Tx,
  sessionId: string,
  opts: { maxPending?: number } = {},
): Promise<Session> {
  const old = await tx.getSession(sessionId);
  if (!old) throw notFound('Session');
  if (!RETRYABLE.has(old.status)) {
    throw errors.notRetryable(old.status);
  }
  await assertQueueRoom(tx, old.conversationId, opts.maxPending);
  const session = newSession(tx.now, {
    conversationId: old.conversationId,
    messageId: old.messageId,
    agentId: old.agentId,
    retryOf: old.id,
  });
  await recordSessionCreated(tx, session);
  return session;
}
