// The open conversation, as one value built from a REST snapshot plus the events of
// `/stream?conversationId=X&after=cursor`.
//
// Dedupe rules (DESIGN point 5):
// - `cursor` is the highest stream seq applied; the stream is gapless and ordered, so any event
//   with seq <= cursor was applied already and is ignored.
// - A session hydrated over REST may already hold events the stream later replays; its log
//   ignores seqs it has (see session.ts).
// - Messages are keyed by id: a message from the snapshot, from a POST response and from
//   `message_created` is one message.
//
// Paged history: `messages` is the newest part of the conversation, contiguous, and `hasMore` says
// older messages exist on the server. Older pages are prepended (prependMessages); everything else
// only appends, so it must never add a message older than the loaded page. The rule that
// guarantees it: the snapshot was read after `snapshotSeq`, so a message whose event has
// seq <= snapshotSeq existed when the page was read — it is either in the page or older than all of
// it. Only messages from events after snapshotSeq (created later, hence newest) are appended.

import type { Conversation, GmEvent, Message, Session } from '../types';
import {
  AGENT_INFO_EVENTS,
  type AgentInfo,
  applyAgentEvent,
  emptyAgentInfo,
  infoFromConversation,
} from './agent';
import { addEvents, emptySession, refold, type SessionView } from './session';

export interface ConversationView {
  id: string;
  conversation: Conversation | null;
  cursor: number;
  /** The cursor the snapshot (first page) was read after; see the paging rule above. */
  snapshotSeq: number;
  /** Oldest first, as the server orders them: the newest page(s) of the conversation. */
  messages: Message[];
  /** Older messages exist on the server that are not loaded. */
  hasMore: boolean;
  /** Modes, commands and configuration the agent announced. */
  agent: AgentInfo;
  sessions: Record<string, SessionView>;
  /** Session ids in creation order. */
  sessionOrder: string[];
  deleted: boolean;
}

export function initView(
  id: string,
  conversation: Conversation | null,
  messages: readonly Message[],
  cursor: number,
  hasMore = false,
): ConversationView {
  return {
    id,
    conversation,
    cursor,
    snapshotSeq: cursor,
    messages: unique(messages),
    hasMore,
    agent: infoFromConversation(emptyAgentInfo, conversation, cursor),
    sessions: {},
    sessionOrder: [],
    deleted: false,
  };
}

/** Defensive: a page should not repeat an id, but one copy per id is the invariant. */
function unique(messages: readonly Message[], skip: ReadonlySet<string> = new Set()): Message[] {
  const seen = new Set(skip);
  const out: Message[] = [];
  for (const m of messages) {
    if (seen.has(m.id)) continue;
    seen.add(m.id);
    out.push(m);
  }
  return out;
}

function hasMessage(v: ConversationView, id: string): boolean {
  // Newest messages are the likeliest duplicates: search from the end.
  for (let i = v.messages.length - 1; i >= 0; i--) if ((v.messages[i] as Message).id === id) return true;
  return false;
}

/**
 * Appends a message unless one with its id is there. With older history unloaded, a message
 * visibly older than the loaded page (e.g. a replayed POST answer) is left for paging to bring.
 */
export function addMessage(v: ConversationView, m: Message): ConversationView {
  if (m.conversationId && m.conversationId !== v.id) return v;
  if (hasMessage(v, m.id)) return v;
  const oldest = v.messages[0];
  if (v.hasMore && oldest && m.created_at < oldest.created_at) return v;
  return { ...v, messages: [...v.messages, m] };
}

/** Prepends an older page (GET …/messages?before=<oldest loaded id>). */
export function prependMessages(
  v: ConversationView,
  older: readonly Message[],
  hasMore: boolean,
): ConversationView {
  const loaded = new Set(v.messages.map((m) => m.id));
  const add = unique(older, loaded).filter((m) => !m.conversationId || m.conversationId === v.id);
  return { ...v, messages: add.length ? [...add, ...v.messages] : v.messages, hasMore };
}

/** The conversation row from a REST answer (e.g. POST …/mode), if it is newer than the one shown. */
export function setConversation(v: ConversationView, c: Conversation): ConversationView {
  if (v.conversation && c.version < v.conversation.version) return v;
  // As new as the newest agent report known: an answer to this tab's own request.
  const seq = Math.max(v.agent.modeSeq, v.agent.configSeq);
  return { ...v, conversation: c, agent: infoFromConversation(v.agent, c, seq) };
}

function putSession(v: ConversationView, s: SessionView): ConversationView {
  const exists = s.id in v.sessions;
  return {
    ...v,
    sessions: { ...v.sessions, [s.id]: s },
    sessionOrder: exists ? v.sessionOrder : [...v.sessionOrder, s.id],
  };
}

/**
 * Records a session row from a snapshot or a POST response. An existing view keeps its log; the
 * row only fills in what events have not said.
 */
export function addSessionRow(v: ConversationView, row: Session): ConversationView {
  if (row.conversationId && row.conversationId !== v.id) return v;
  const prev = v.sessions[row.id];
  if (!prev) return putSession(v, emptySession(row.id, row));
  if (prev.log.length > 0) return v;
  return putSession(v, refold({ ...prev, base: row, messageId: row.messageId }));
}

/** Snapshot rows come newest first from the API; creation order is what the view keeps. */
export function addSessionRows(v: ConversationView, rowsNewestFirst: readonly Session[]): ConversationView {
  // One copy of the maps for the whole batch: thousands of sessions must not cost O(n²).
  const sessions = { ...v.sessions };
  const order = v.sessionOrder.slice();
  for (let i = rowsNewestFirst.length - 1; i >= 0; i--) {
    const row = rowsNewestFirst[i] as Session;
    if (row.conversationId && row.conversationId !== v.id) continue;
    const prev = sessions[row.id];
    if (!prev) {
      sessions[row.id] = emptySession(row.id, row);
      order.push(row.id);
    } else if (prev.log.length === 0) {
      sessions[row.id] = refold({ ...prev, base: row, messageId: row.messageId });
    }
  }
  // Rows arrive in batches (completed ones inferred first, other states later): keep creation order.
  const createdAt = (id: string): number => {
    const sv = sessions[id];
    return sv?.base?.created_at ?? sv?.log[0]?.created_at ?? Number.POSITIVE_INFINITY;
  };
  order.sort((a, b) => createdAt(a) - createdAt(b));
  return { ...v, sessions, sessionOrder: order };
}

/**
 * Merges the full event list of one session (GET /api/sessions/{id}) into the view. The session
 * becomes `complete`: its details (thoughts, tools, plan) can be shown.
 */
export function hydrateSession(
  v: ConversationView,
  row: Session | null,
  events: readonly GmEvent[],
  id: string,
): ConversationView {
  const prev = v.sessions[id] ?? emptySession(id, row);
  let s = addEvents({ ...prev, complete: true }, events);
  if (row) s = refold({ ...s, base: row, messageId: row.messageId });
  let cur = putSession(v, s);
  let agent = cur.agent;
  for (const ev of events) {
    // The session's events may carry messages (its answer) the snapshot did not have yet.
    cur = addMessagesFromEvent(cur, ev);
    // And the newest known commands or mode, which a freshly opened tab has no other way to learn.
    if (AGENT_INFO_EVENTS.has(ev.type)) agent = applyAgentEvent(agent, ev);
  }
  return agent === cur.agent ? cur : { ...cur, agent };
}

/** A message an event carries, with the idempotency key the event names (message_created). */
function messageOf(ev: GmEvent): Message | null {
  const m = ev.message;
  if (!m || typeof m !== 'object' || typeof (m as Message).id !== 'string') return null;
  if (typeof (m as Message).role !== 'string') return null;
  const key = ev.idempotencyKey;
  return typeof key === 'string' && key && !(m as Message).idempotencyKey
    ? { ...(m as Message), idempotencyKey: key }
    : (m as Message);
}

/** See the paging rule at the top: only messages created after the snapshot are appended. */
function addMessagesFromEvent(v: ConversationView, ev: GmEvent): ConversationView {
  if (ev.seq <= v.snapshotSeq) return v;
  const m = messageOf(ev);
  return m ? addMessage(v, m) : v;
}

function sessionIdOf(ev: GmEvent): string | null {
  if (typeof ev.sessionId === 'string' && ev.sessionId) return ev.sessionId;
  const s = ev.session;
  if (s && typeof s === 'object' && typeof (s as Session).id === 'string') return (s as Session).id;
  return null;
}

/** Message events are not session history; everything else that names a session is. */
const NOT_SESSION_SCOPED = new Set([
  'message_created',
  'conversation_created',
  'conversation_updated',
  'conversation_deleted',
]);

/** Applies one event from the conversation's stream. */
export function applyEvent(v: ConversationView, ev: GmEvent): ConversationView {
  if (typeof ev.seq !== 'number' || ev.seq <= v.cursor) return v;
  if (ev.conversationId && ev.conversationId !== v.id) return v;
  let cur: ConversationView = { ...v, cursor: ev.seq };
  switch (ev.type) {
    case 'conversation_created':
    case 'conversation_updated': {
      const c = ev.conversation as Conversation | undefined;
      if (c && typeof c.id === 'string' && (!cur.conversation || c.version >= cur.conversation.version)) {
        cur.conversation = c;
        cur.agent = infoFromConversation(cur.agent, c, ev.seq);
      }
      return cur;
    }
    case 'conversation_deleted':
      return { ...cur, deleted: true };
    case 'message_created':
      return addMessagesFromEvent(cur, ev);
    default:
      break;
  }
  // The agent's modes, commands and configuration belong to the conversation, even when they
  // arrive during a turn.
  if (AGENT_INFO_EVENTS.has(ev.type)) return { ...cur, agent: applyAgentEvent(cur.agent, ev) };
  if (NOT_SESSION_SCOPED.has(ev.type)) return cur;
  const sid = sessionIdOf(ev);
  if (!sid) return cur;
  const prev = cur.sessions[sid];
  let base = prev ?? emptySession(sid);
  // A session whose `session_created` event we apply with nothing before it is seen from its
  // beginning: its details are complete without a REST hydration.
  if (ev.type === 'session_created' && base.log.length === 0 && !base.complete)
    base = { ...base, complete: true };
  const next = addEvents(base, [ev]);
  if (next !== prev) cur = putSession(cur, next);
  return addMessagesFromEvent(cur, ev);
}

export function applyEvents(v: ConversationView, events: readonly GmEvent[]): ConversationView {
  let cur = v;
  for (const ev of events) cur = applyEvent(cur, ev);
  return cur;
}

/** Sessions still queued or running, oldest first. */
export function activeSessions(v: ConversationView): SessionView[] {
  const out: SessionView[] = [];
  for (const id of v.sessionOrder) {
    const s = v.sessions[id];
    if (s && (s.status === 'pending' || s.status === 'processing')) out.push(s);
  }
  return out;
}
