import type {
  Conversation,
  Message,
  NewEvent,
  PermissionRequest,
  Session,
  SessionStatus,
  StoredEvent,
} from '../domain/types.ts';

// The Store is the only shared state. Every implementation (SQLite, PostgreSQL) must give:
// - transaction(): all-or-nothing; the rows, their events and the idempotency record commit together,
//   and the promise resolves only after the commit is durable.
// - seq: one integer sequence over the whole log, growing strictly in the order readers can see events
//   (a reader that saw seq N and asks for > N never misses an event that commits later).
// Commands (src/commands) are written once against Tx and run on either store.

export interface IdempotencyRecord {
  scope: string;
  key: string;
  fingerprint: string;
  status: number;
  /** The response body exactly as first sent, replayed byte for byte. */
  body: string;
  created_at: number;
}

export interface Lease {
  owner: string;
  until: number;
}

export interface Tx {
  /** One clock reading for the whole command, so its rows and events agree. */
  readonly now: number;

  getConversation(id: string): Promise<Conversation | null>;
  insertConversation(c: Conversation): Promise<void>;
  updateConversation(c: Conversation): Promise<void>;
  /** Removes the conversation's rows (messages, sessions, permissions). Its events stay in the log. */
  deleteConversation(id: string): Promise<void>;

  getMessage(id: string): Promise<Message | null>;
  insertMessage(m: Message): Promise<void>;

  getSession(id: string): Promise<Session | null>;
  insertSession(s: Session): Promise<void>;
  updateSession(s: Session): Promise<void>;
  /** Unfinished (pending or processing) sessions of a conversation, oldest first. */
  unfinishedSessions(conversationId: string): Promise<Session[]>;
  /** How many sessions of a conversation are pending, counted up to `upTo` (GMGUI_MAX_PENDING's check). */
  countPendingSessions(conversationId: string, upTo: number): Promise<number>;
  /** Pending sessions that may start now: the oldest unfinished one of their conversation. Oldest first. */
  claimableSessions(limit: number): Promise<Session[]>;
  getLease(sessionId: string): Promise<Lease | null>;
  setLease(sessionId: string, lease: Lease | null): Promise<void>;

  getPermission(sessionId: string, requestId: string): Promise<PermissionRequest | null>;
  insertPermission(p: PermissionRequest): Promise<void>;
  updatePermission(p: PermissionRequest): Promise<void>;
  pendingPermissions(sessionId: string): Promise<PermissionRequest[]>;

  getIdempotency(scope: string, key: string): Promise<IdempotencyRecord | null>;
  /**
   * A plain insert: a concurrent transaction that inserted the same (scope, key) first makes this one fail
   * (SQLite serializes writers so it cannot happen there; PostgreSQL retries the whole transaction, which
   * then finds the record and replays it). Never an upsert: that would allow two effects.
   */
  putIdempotency(r: IdempotencyRecord): Promise<void>;
  deleteIdempotency(scope: string, key: string): Promise<void>;

  /**
   * Adds an event to the log as part of this transaction, stamped `now`; `at` instead keeps the time an
   * imported event was first written (src/history/import.ts), so an export re-imported is equal event for event.
   */
  append(e: NewEvent, at?: number): Promise<void>;
}

export interface MessagePage {
  before?: string;
  limit: number;
}

export interface EventQuery {
  /** Events with seq > after. */
  after: number;
  conversationId?: string;
  sessionId?: string;
  /** Only lifecycle events (what /sync sends). */
  lifecycleOnly?: boolean;
  limit: number;
}

/** JSON of a session whose `response` column is spliced in as stored (it was written by JSON.stringify). */
export function sessionJsonOf(session: Session, response: string | null): string {
  const json = JSON.stringify({ ...session, response: null });
  // Only the key can be `"response":null` with bare quotes: quotes inside strings are escaped.
  return response === null ? json : json.replace('"response":null', () => `"response":${response}`);
}

/**
 * An event as the log row holds it, not parsed (history pages send it as stored): `size` is the bytes
 * of its `data` JSON; `data` is null when that is over the `inlineMax` the reader asked for, and is then
 * read in pieces with `readEventData`.
 */
export interface RawEventRow {
  seq: number;
  type: string;
  conversation_id: string;
  session_id: string | null;
  created_at: number;
  size: number;
  data: string | null;
}

/** A piece of an event's `data` JSON; `next` is where the following one starts, `done` when none does. */
export interface DataPiece {
  piece: Uint8Array | string;
  next: number;
  done: boolean;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;

  listConversations(opts?: { q?: string }): Promise<Conversation[]>;
  getConversation(id: string): Promise<Conversation | null>;
  /**
   * Oldest first. With a page: the newest `limit` messages older than `before` (a message id; absent:
   * the newest), still oldest first — so a long history opens at its end without reading all of it.
   */
  listMessages(conversationId: string, page?: MessagePage): Promise<Message[]>;
  getMessage(id: string): Promise<Message | null>;
  getSession(id: string): Promise<Session | null>;
  latestSession(conversationId: string): Promise<Session | null>;
  /** Newest first. */
  listSessions(conversationId: string, status?: SessionStatus): Promise<Session[]>;
  /** Every session in one of these states, oldest first (start-up recovery, lease checks). */
  sessionsWithStatus(statuses: SessionStatus[]): Promise<Array<Session & { lease: Lease | null }>>;
  getPermission(sessionId: string, requestId: string): Promise<PermissionRequest | null>;
  pendingPermissions(conversationId: string): Promise<PermissionRequest[]>;

  readEvents(q: EventQuery): Promise<StoredEvent[]>;
  /**
   * A session (by id, or the latest of a conversation) as its JSON, built around the stored `response`
   * without parsing it: a long turn's row carries its whole answer (history pages, CONTRACT section 8).
   */
  sessionJson(q: { id: string } | { latestOf: string }): Promise<{ session: Session; json: string } | null>;
  /** The rows `readEvents` would parse, as stored; `data` only of rows whose data is at most `inlineMax` bytes. */
  readEventRows(q: EventQuery, inlineMax: number): Promise<RawEventRow[]>;
  /**
   * Up to `max` units (bytes on SQLite, characters on PostgreSQL) of event `seq`'s data from `from` (0:
   * its start), read without holding the whole row in this thread; null when the event does not exist.
   */
  readEventData(seq: number, from: number, max: number): Promise<DataPiece | null>;
  /** Newest seq in the log (of one conversation when given); 0 when empty. */
  lastSeq(conversationId?: string): Promise<number>;

  /** Called after commits that appended events (and, for PostgreSQL, when another instance did). */
  onAppend(listener: (lastSeq: number) => void): () => void;

  /** Deletes idempotency records created before `olderThan`; returns how many. */
  purgeIdempotency(olderThan: number): Promise<number>;

  /** Whole tables, for the rebuild-from-log check and backups. */
  dumpTables(): Promise<{ conversations: Conversation[]; messages: Message[]; sessions: Session[] }>;

  close(): Promise<void>;
}
