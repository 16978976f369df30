// Session rows for a conversation's history, inferred from its messages. Opening a conversation
// does not download completed sessions (their answer messages say everything the history needs),
// so these functions make the rows the view would have had.

import { type Message, messageText, type Session } from '../types';
import type { ConversationView } from './conversation';

export function newestFirst(rows: Session[]): Session[] {
  return rows.sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0));
}

/** Completed turns of the history, as session rows built from the user message and its answer. */
export function completedFromMessages(view: ConversationView): Session[] {
  const answers = new Map<string, Message>();
  for (const m of view.messages) if (m.role !== 'user' && m.sessionId) answers.set(m.sessionId, m);
  const out: Session[] = [];
  for (const m of view.messages) {
    if (m.role !== 'user' || !m.sessionId || view.sessions[m.sessionId]) continue;
    const answer = answers.get(m.sessionId);
    if (!answer) continue;
    out.push({
      id: m.sessionId,
      conversationId: view.id,
      messageId: m.id,
      status: 'completed',
      created_at: m.created_at,
      response: { text: messageText(answer), messageId: answer.id },
      error: null,
    });
  }
  return out;
}

/** Sessions a user message names that no list or answer explained (e.g. it ended between the reads). */
export function unknownSessions(view: ConversationView): string[] {
  const out: string[] = [];
  for (const m of view.messages)
    if (m.role === 'user' && m.sessionId && !view.sessions[m.sessionId]) out.push(m.sessionId);
  return out;
}
