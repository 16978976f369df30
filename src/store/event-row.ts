import type { NewEvent, StoredEvent } from '../domain/types.ts';

// How an event sits in a log row, the same in every store: the envelope in columns, its own fields as
// JSON in `data`.

export interface EventRow {
  seq: number;
  type: string;
  conversation_id: string;
  session_id: string | null;
  created_at: number;
  data: string;
}

export function eventFromRow(r: EventRow): StoredEvent {
  return {
    seq: r.seq,
    type: r.type,
    conversationId: r.conversation_id,
    sessionId: r.session_id,
    created_at: r.created_at,
    ...JSON.parse(r.data),
  };
}

export function splitEvent(e: NewEvent): { sessionId: string | null; data: string } {
  const { type: _t, conversationId: _c, sessionId, seq: _s, created_at: _a, ...fields } = e;
  return { sessionId: (sessionId as string | null | undefined) ?? null, data: JSON.stringify(fields) };
}
