import type { Conversation, Message, Session } from '../domain/types.ts';
import type { Tx } from '../store/types.ts';

// The only way rows change. Each writes the row and the event that lets the log rebuild it
// (src/domain/rebuild.ts); keeping the two side by side is what makes the audit trail true.

export async function recordConversationCreated(tx: Tx, c: Conversation): Promise<void> {
  await tx.insertConversation(c);
  await tx.append({ type: 'conversation_created', conversationId: c.id, conversation: c });
}

export async function recordConversationUpdated(tx: Tx, c: Conversation): Promise<void> {
  await tx.updateConversation(c);
  await tx.append({ type: 'conversation_updated', conversationId: c.id, conversation: c });
}

/** Stores a message and moves its conversation's `updated_at` to the message's time (list order). */
export async function recordMessage(tx: Tx, m: Message, idempotencyKey?: string): Promise<void> {
  await tx.insertMessage(m);
  const c = await tx.getConversation(m.conversationId);
  if (c && c.updated_at < m.created_at) await tx.updateConversation({ ...c, updated_at: m.created_at });
  await tx.append({
    type: 'message_created',
    conversationId: m.conversationId,
    sessionId: m.sessionId,
    message: m,
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });
}

export async function recordSessionCreated(tx: Tx, s: Session): Promise<void> {
  await tx.insertSession(s);
  await tx.append({ type: 'session_created', conversationId: s.conversationId, sessionId: s.id, session: s });
}

/** Every change of a session row goes through here, with the full snapshot in the event. */
export async function recordSessionUpdated(
  tx: Tx,
  s: Session,
  extra: { message?: Message; error?: string } = {},
): Promise<void> {
  await tx.updateSession(s);
  await tx.append({
    type: 'session_updated',
    conversationId: s.conversationId,
    sessionId: s.id,
    status: s.status,
    session: s,
    ...(extra.message ? { message: extra.message } : {}),
    ...(extra.error ? { error: extra.error } : {}),
  });
}
