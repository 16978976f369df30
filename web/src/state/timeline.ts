// The rows the chat shows, derived from the conversation view and the outbox: each user message,
// then the turns (sessions) that answer it, then unsent messages. Pure, so it is unit-tested.

import { confirmedKeys, type OutboxItem, queueOf } from '../outbox/core';
import type { Message } from '../types';
import type { ConversationView } from './conversation';
import type { SessionView } from './session';

export type Row =
  | { kind: 'user'; key: string; message: Message }
  | {
      kind: 'turn';
      key: string;
      session: SessionView;
      answer: Message | null;
      /** 1 for the first answer to a message, 2 for its first retry, … */
      attempt: number;
      /** A later attempt answers the same message (its Retry is no longer offered). */
      superseded: boolean;
    }
  | { kind: 'assistant'; key: string; message: Message }
  | { kind: 'outbox'; key: string; item: OutboxItem };

export function buildRows(view: ConversationView, outbox: readonly OutboxItem[]): Row[] {
  const rows: Row[] = [];
  const byMessage = new Map<string, SessionView[]>();
  for (const sid of view.sessionOrder) {
    const s = view.sessions[sid];
    if (!s?.messageId) continue;
    const list = byMessage.get(s.messageId);
    if (list) list.push(s);
    else byMessage.set(s.messageId, [s]);
  }
  // The assistant message that ends a session is shown inside that session's turn.
  const answerOf = new Map<string, Message>();
  for (const m of view.messages) if (m.role !== 'user' && m.sessionId) answerOf.set(m.sessionId, m);
  const userIds = new Set<string>();
  const allIds = new Set<string>();
  for (const m of view.messages) {
    allIds.add(m.id);
    if (m.role === 'user') userIds.add(m.id);
  }
  // Sessions whose user message is not loaded. With the whole history loaded they are shown at the
  // end, never dropped. With older pages unloaded, only those active since the page was read: the
  // others belong to the unloaded past and appear under their message once paging brings it.
  const orphans: SessionView[] = [];
  for (const sid of view.sessionOrder) {
    const s = view.sessions[sid];
    if (!s || (s.messageId && allIds.has(s.messageId))) continue;
    if (!view.hasMore || lastSeq(s) > view.snapshotSeq) orphans.push(s);
  }
  const shownAlone = new Set(orphans.map((s) => s.id));

  for (const m of view.messages) {
    if (m.role === 'user') {
      rows.push({ kind: 'user', key: m.id, message: m });
      const attempts = byMessage.get(m.id) ?? [];
      attempts.forEach((s, i) => {
        rows.push({
          kind: 'turn',
          key: `turn:${s.id}`,
          session: s,
          answer: answerOf.get(s.id) ?? s.answer,
          attempt: i + 1,
          superseded: i < attempts.length - 1,
        });
      });
      continue;
    }
    // Hidden when its turn is rendered (under a loaded user message, or alone at the end).
    const owner = m.sessionId ? view.sessions[m.sessionId] : undefined;
    if (owner?.messageId && userIds.has(owner.messageId)) continue;
    if (owner && shownAlone.has(owner.id)) continue;
    rows.push({ kind: 'assistant', key: m.id, message: m });
  }
  for (const s of orphans)
    rows.push({
      kind: 'turn',
      key: `turn:${s.id}`,
      session: s,
      answer: answerOf.get(s.id) ?? s.answer,
      attempt: 1,
      superseded: false,
    });
  const queue = queueOf(outbox, view.id);
  const done = confirmedKeys(queue, view.messages);
  for (const item of queue)
    if (!done.has(item.key)) rows.push({ kind: 'outbox', key: `out:${item.key}`, item });
  return rows;
}

function lastSeq(s: SessionView): number {
  return s.log[s.log.length - 1]?.seq ?? 0;
}

/** Plain text of everything in the conversation, for client-side search. */
export function searchableText(view: ConversationView): string {
  const parts: string[] = [];
  for (const m of view.messages) {
    const c = m.content;
    parts.push(typeof c === 'string' ? c : (c?.text ?? ''));
  }
  return parts.join('\n').toLowerCase();
}
