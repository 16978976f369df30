import type { Conversation, Message, Session, StoredEvent } from './types.ts';

// The log is the truth (DESIGN.md): conversations, messages and sessions follow from the lifecycle
// events alone. `evolve` is the "decider" half that folds one event into the state; rebuilding the
// tables and comparing them with the store's proves that every row change wrote its event
// (src/commands/record.ts) with enough in it.
//
// What each event carries (record.ts):
// - conversation_created / conversation_updated: the whole conversation;
// - conversation_deleted: the conversation and its messages and sessions are gone;
// - message_created: the whole message; the conversation's updated_at moves up to its created_at;
// - session_created / session_updated: the whole session snapshot.
// Every other event (agent output, permissions) leaves these three tables as they are.

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

/** Reads a field the event type promises; a log that lacks it cannot be rebuilt, so say which seq. */
function field<T>(e: StoredEvent, name: string): T {
  const v = e[name];
  if (v === null || typeof v !== 'object') {
    throw new Error(`Event seq ${e.seq} (${e.type}) has no "${name}": the log cannot rebuild the tables.`);
  }
  return v as T;
}

function removeWhere<V extends { conversationId: string }>(m: Map<string, V>, conversationId: string): void {
  for (const [id, v] of m) if (v.conversationId === conversationId) m.delete(id);
}

/** Applies one event to a mutable draft. The one place the meaning of each event type lives. */
function apply(d: Draft, e: StoredEvent): void {
  switch (e.type) {
    case 'conversation_created':
    case 'conversation_updated': {
      const c = field<Conversation>(e, 'conversation');
      d.conversations.set(c.id, c);
      return;
    }
    case 'conversation_deleted':
      d.conversations.delete(e.conversationId);
      removeWhere(d.messages, e.conversationId);
      removeWhere(d.sessions, e.conversationId);
      return;
    case 'message_created': {
      const m = field<Message>(e, 'message');
      d.messages.set(m.id, m);
      const c = d.conversations.get(m.conversationId);
      if (c && c.updated_at < m.created_at) d.conversations.set(c.id, { ...c, updated_at: m.created_at });
      return;
    }
    case 'session_created':
    case 'session_updated': {
      const s = field<Session>(e, 'session');
      d.sessions.set(s.id, s);
      return;
    }
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
