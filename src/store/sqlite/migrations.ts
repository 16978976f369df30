// Versioned schema. A migration never changes once released: add a new one. PRAGMA user_version
// records how far a database file has come.

export const SQLITE_MIGRATIONS: string[] = [
  // 1: the initial schema.
  `
  CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    title TEXT NOT NULL,
    cwd TEXT NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    settings TEXT NOT NULL,
    acp_session_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX conversations_updated ON conversations (updated_at DESC);

  CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    ord INTEGER NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    session_id TEXT,
    folder_context TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX messages_conversation ON messages (conversation_id, ord);

  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    ord INTEGER NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    completed_at INTEGER,
    response TEXT,
    error TEXT,
    stop_reason TEXT,
    retry_of TEXT,
    prompt_sent INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until INTEGER
  );
  CREATE INDEX sessions_conversation ON sessions (conversation_id, ord);
  CREATE INDEX sessions_unfinished ON sessions (status, ord) WHERE status IN ('pending', 'processing');

  CREATE TABLE permissions (
    session_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    tool_call TEXT NOT NULL,
    options TEXT NOT NULL,
    status TEXT NOT NULL,
    option_id TEXT,
    created_at INTEGER NOT NULL,
    resolved_at INTEGER,
    PRIMARY KEY (session_id, request_id)
  );
  CREATE INDEX permissions_pending ON permissions (conversation_id) WHERE status = 'pending';

  -- The log. AUTOINCREMENT: a seq is never reused, even after the newest rows are gone.
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    session_id TEXT,
    lifecycle INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX events_conversation ON events (conversation_id, seq);
  CREATE INDEX events_session ON events (session_id, seq) WHERE session_id IS NOT NULL;
  CREATE INDEX events_lifecycle ON events (seq) WHERE lifecycle = 1;

  CREATE TABLE idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
  );
  CREATE INDEX idempotency_created ON idempotency (created_at);
  `,
  // 2: unfinished sessions per conversation, so that finding the next turn to run (on every send) costs
  // the same with 100 or 100,000 finished sessions in the history. Queries that want a partial index
  // must repeat its WHERE term literally: SQLite does not infer status IN (…) from status = 'pending'.
  `
  CREATE INDEX sessions_unfinished_conversation ON sessions (conversation_id, ord)
    WHERE status IN ('pending', 'processing');
  `,
];
