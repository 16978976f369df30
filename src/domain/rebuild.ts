import { type AppEvent, isLifecycleType, parseEvent } from './events.ts';
import type { Conversation, Message, Session, StoredEvent } from './types.ts';

// The log is the truth (DESIGN.md): conversations, messages and sessions follow from the lifecycle
// events alone. `evolve` is the "decider" half that folds one event into the state; rebuilding the
// tables and comparing them with the store's proves that every row change wrote its event
// (src/commands/record.ts) with enough in it.
//
// What each event carries is its schema (events.ts); here: a conversation_* event holds the whole
// conversation, a session_* one the whole session, message_created the message (the conversation's
// updated_at moves up to its created_at), and conversation_deleted removes the conversation with its
// messages and sessions. Every other event (agent output, permissions) leaves these tables as they are.

export interface RebuiltState {
  /** Maps keep insertion order: messages and sessions come out in the order the log created them. */
  readonly conversations: ReadonlyMap<string, Conversation>;
  readonly messages: ReadonlyMap<string, Message>;
  readonly sessions: ReadonlyMap<string, Session>;
}

export interface RebuiltTables {
  /** Ordered by id, like `Store.dumpTables()`. */
  conversations: Conversation[];
  /** In creation order. */
  messages: Message[];
  /** In creation order. */
  sessions: Session[];
}

interface Draft {
  conversations: Map<string, Conversation>;
  messages: Map<string, Message>;
  sessions: Map<string, Session>;
}

export function emptyState(): RebuiltState {
  return { conversations: new Map(), messages: new Map(), sessions: new Map() };
}

/** The event with the fields its type promises; a log that lacks them cannot be rebuilt, so say which seq. */
function read(row: StoredEvent): AppEvent {
  const r = parseEvent(row);
  if (!r.ok) throw new Error(`${r.reason} The log cannot rebuild the tables.`);
  return r.event;
}

function removeWhere<V extends { conversationId: string }>(m: Map<string, V>, conversationId: string): void {
  for (const [id, v] of m) if (v.conversationId === conversationId) m.delete(id);
}

/** Applies one event to a mutable draft. The one place the meaning of each event type lives. */
function apply(d: Draft, row: StoredEvent): void {
  // Agent output never changes these tables: not even parsed.
  if (!isLifecycleType(row.type)) return;
  const e = read(row);
  switch (e.type) {
    case 'conversation_created':
    case 'conversation_updated':
      d.conversations.set(e.conversation.id, e.conversation);
      return;
    case 'conversation_deleted':
      d.conversations.delete(e.conversationId);
      removeWhere(d.messages, e.conversationId);
      removeWhere(d.sessions, e.conversationId);
      return;
    case 'message_created': {
      const m = e.message;
      d.messages.set(m.id, m);
      const c = d.conversations.get(m.conversationId);
      if (c && c.updated_at < m.created_at) d.conversations.set(c.id, { ...c, updated_at: m.created_at });
      return;
    }
    case 'session_created':
    case 'session_updated':
      d.sessions.set(e.session.id, e.session);
      return;
    default:
      return;
  }
}

/** The next state after one event. Pure: the given state is not changed. */
export function evolve(state: RebuiltState, event: StoredEvent): RebuiltState {
  const d: Draft = {
    conversations: new Map(state.conversations),
    messages: new Map(state.messages),
    sessions: new Map(state.sessions),
  };
  apply(d, event);
  return d;
}

/**
 * The state after every event of the log, in seq order. Same result as folding `evolve` over the
 * events, without copying the maps once per event (a long log would make that quadratic).
 */
export function rebuildFromLog(events: Iterable<StoredEvent>): RebuiltState {
  const d: Draft = { conversations: new Map(), messages: new Map(), sessions: new Map() };
  let last = 0;
  for (const e of events) {
    if (e.seq <= last) throw new Error(`The log is out of order: seq ${e.seq} after ${last}.`);
    last = e.seq;
    apply(d, e);
  }
  return d;
}

/** The state as the store's tables look (`Store.dumpTables()`), for a field-by-field comparison. */
export function toTables(state: RebuiltState): RebuiltTables {
  return {
    conversations: [...state.conversations.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    messages: [...state.messages.values()],
    sessions: [...state.sessions.values()],
  };
}
