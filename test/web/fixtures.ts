// Builders for events and rows shaped like the server's (CONTRACT sections 3 and 5).
import type { GmEvent, Message, Session } from '../../web/src/types';

export const CID = 'conv_1';

let clock = 1_700_000_000_000;

export function ev(
  seq: number,
  type: string,
  fields: Record<string, unknown> = {},
  sessionId: string | null = null,
): GmEvent {
  // Cast: tests also build types the client does not know, as a newer server could send.
  return { seq, type, conversationId: CID, sessionId, created_at: clock++, ...fields } as GmEvent;
}

export function userMsg(id: string, content: string, sessionId: string | null = null): Message {
  return { id, conversationId: CID, role: 'user', content, sessionId, created_at: clock++ };
}

export function assistantMsg(id: string, text: string, sessionId: string): Message {
  return {
    id,
    conversationId: CID,
    role: 'assistant',
    content: { text, blocks: [] },
    sessionId,
    created_at: clock++,
  };
}

export function session(id: string, messageId: string, status: Session['status'] = 'pending'): Session {
  return {
    id,
    conversationId: CID,
    messageId,
    status,
    started_at: null,
    completed_at: null,
    response: null,
    error: null,
    stopReason: null,
  };
}

/** The events of one complete demo-like turn, starting at `seq`. */
export function turnEvents(seq: number, sid: string, mid: string, text: string[]): GmEvent[] {
  const out: GmEvent[] = [];
  let s = seq;
  out.push(ev(s++, 'message_created', { message: userMsg(mid, 'hi', sid) }, sid));
  out.push(ev(s++, 'session_created', { session: session(sid, mid) }, sid));
  out.push(
    ev(s++, 'session_updated', { status: 'processing', session: session(sid, mid, 'processing') }, sid),
  );
  out.push(ev(s++, 'thought_delta', { text: 'thinking' }, sid));
  for (const t of text) out.push(ev(s++, 'text_delta', { text: t }, sid));
  const answer = assistantMsg(`a-${sid}`, text.join(''), sid);
  out.push(ev(s++, 'done', { stopReason: 'end_turn' }, sid));
  out.push(
    ev(
      s++,
      'session_updated',
      { status: 'completed', session: session(sid, mid, 'completed'), message: answer },
      sid,
    ),
  );
  return out;
}

/** The agent asks before editing NOTES.md (one "Allow" option). */
export function permissionRequested(seq: number, requestId: string, sid: string): GmEvent {
  return ev(
    seq,
    'permission_requested',
    { requestId, toolCall: { title: 'Edit NOTES.md' }, options: [{ optionId: 'allow_once', name: 'Allow' }] },
    sid,
  );
}
