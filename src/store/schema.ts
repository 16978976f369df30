// The versioned schema, written once for both stores. A migration never changes once released: add a
// new one. Each store records how far a database has come (SQLite: PRAGMA user_version; PostgreSQL:
// schema_migrations, see postgres/migrate.ts).
//
// The tables are the same on both; only column types and a few store-specific parts differ, and those
// are named in `Dialect` (postgres/migrations.ts and sqlite/migrations.ts say why each differs).

export interface Dialect {
  /** Primary-key ids of conversations, messages and sessions. */
  id: string;
  /** Epoch milliseconds. */
  time: string;
  /** Insertion order of messages and sessions: unique and growing. */
  ord: string;
  /** A true/false column, and its false value. */
  flag: string;
  flagOff: string;
  /** A flag column that is set, as a WHERE term (for a partial index). */
  flagIsSet: (column: string) => string;
  /** Columns of conversations_updated after `updated_at DESC`. */
  conversationsUpdatedTail: string;
  /** Extra column definitions of permissions (with a trailing comma), before conversation_id. */
  permissionsExtra: string;
  /** The log's seq column. */
  eventSeq: string;
  /** Extra statements after the events table (the log head, where the store needs one). */
  afterEvents: string;
}

const initialSchema = (d: Dialect) => `
  CREATE TABLE conversations (
    id ${d.id} PRIMARY KEY,
    agent_id TEXT NOT NULL,
    title TEXT NOT NULL,
    cwd TEXT NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    settings TEXT NOT NULL,
    acp_session_id TEXT,
    created_at ${d.time} NOT NULL,
    updated_at ${d.time} NOT NULL
  );
  CREATE INDEX conversations_updated ON conversations (updated_at DESC${d.conversationsUpdatedTail});

  CREATE TABLE messages (
    id ${d.id} PRIMARY KEY,
    ord ${d.ord},
    conversation_id TEXT NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    session_id TEXT,
    folder_context TEXT,
    created_at ${d.time} NOT NULL
  );
  CREATE INDEX messages_conversation ON messages (conversation_id, ord);

  CREATE TABLE sessions (
    id ${d.id} PRIMARY KEY,
    ord ${d.ord},
    conversation_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at ${d.time} NOT NULL,
    started_at ${d.time},
    completed_at ${d.time},
    response TEXT,
    error TEXT,
    stop_reason TEXT,
    retry_of TEXT,
    prompt_sent ${d.flag} NOT NULL DEFAULT ${d.flagOff},
    lease_owner TEXT,
    lease_until ${d.time}
  );
  CREATE INDEX sessions_conversation ON sessions (conversation_id, ord);
  CREATE INDEX sessions_unfinished ON sessions (status, ord) WHERE status IN ('pending', 'processing');

  CREATE TABLE permissions (
    session_id TEXT NOT NULL,
    request_id TEXT NOT NULL,${d.permissionsExtra}
    conversation_id TEXT NOT NULL,
    tool_call TEXT NOT NULL,
    options TEXT NOT NULL,
    status TEXT NOT NULL,
    option_id TEXT,
    created_at ${d.time} NOT NULL,
    resolved_at ${d.time},
    PRIMARY KEY (session_id, request_id)
  );
  CREATE INDEX permissions_pending ON permissions (conversation_id) WHERE status = 'pending';

  CREATE TABLE events (
    seq ${d.eventSeq},
    type TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    session_id TEXT,
    lifecycle ${d.flag} NOT NULL,
    created_at ${d.time} NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX events_conversation ON events (conversation_id, seq);
  CREATE INDEX events_session ON events (session_id, seq) WHERE session_id IS NOT NULL;
  CREATE INDEX events_lifecycle ON events (seq) WHERE ${d.flagIsSet('lifecycle')};
${d.afterEvents}
  CREATE TABLE idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at ${d.time} NOT NULL,
    PRIMARY KEY (scope, key)
  );
  CREATE INDEX idempotency_created ON idempotency (created_at);
  `;

/** Every migration, oldest first, in a store's dialect. */
export function migrations(d: Dialect): string[] {
  return [
    // 1: the initial schema.
    initialSchema(d),
    // 2: unfinished sessions per conversation, so that finding the next turn to run (on every send)
    // costs the same with 100 or 100,000 finished sessions in the history. Queries that want a partial
    // index must repeat its WHERE term literally: SQLite does not infer status IN (…) from status = 'pending'.
    `
  CREATE INDEX sessions_unfinished_conversation ON sessions (conversation_id, ord)
    WHERE status IN ('pending', 'processing');
  `,
    // 3: what a user attached to a message (JSON, CONTRACT section 11) and why a session failed.
    `
  ALTER TABLE messages ADD COLUMN attachments TEXT;
  ALTER TABLE sessions ADD COLUMN error_code TEXT;
  `,
  ];
}

/** A database that a newer gmgui has migrated: this one must not touch it. */
export function newerSchemaError(current: number, known: number): Error {
  return new Error(
    `The database schema is at version ${current}, newer than this gmgui knows (${known}). ` +
      'Upgrade gmgui on this host before starting it against that database.',
  );
}
