// Versioned schema for PostgreSQL. A migration never changes once released: add a new one.
// schema_migrations records which versions a database has; migrate.ts applies the missing ones under an
// advisory lock so that instances starting together do not race.
//
// Same shape as the SQLite schema (src/store/sqlite/migrations.ts) with PostgreSQL types:
// - epoch milliseconds do not fit int4: BIGINT (read back as numbers, see pool-config.ts);
// - JSON values are TEXT, not jsonb: jsonb reorders keys, and the idempotency body and event fields must
//   come back exactly as written;
// - ids compare with COLLATE "C" so ties sort byte-wise, as in SQLite.

export const POSTGRES_MIGRATIONS: string[] = [
  // 1: the initial schema.
  `
  CREATE TABLE conversations (
    id TEXT COLLATE "C" PRIMARY KEY,
    agent_id TEXT NOT NULL,
    title TEXT NOT NULL,
    cwd TEXT NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    settings TEXT NOT NULL,
    acp_session_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX conversations_updated ON conversations (updated_at DESC, id);

  -- ord: insertion order. Inserts take the conversation's row lock first (pg-tx.ts), so within one
  -- conversation ord follows commit order even though identity values are handed out concurrently.
  CREATE TABLE messages (
    id TEXT COLLATE "C" PRIMARY KEY,
    ord BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    conversation_id TEXT NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    session_id TEXT,
    folder_context TEXT,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX messages_conversation ON messages (conversation_id, ord);

  CREATE TABLE sessions (
    id TEXT COLLATE "C" PRIMARY KEY,
    ord BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    conversation_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    completed_at BIGINT,
    response TEXT,
    error TEXT,
    stop_reason TEXT,
    retry_of TEXT,
    prompt_sent BOOLEAN NOT NULL DEFAULT false,
    lease_owner TEXT,
    lease_until BIGINT
  );
  CREATE INDEX sessions_conversation ON sessions (conversation_id, ord);
  CREATE INDEX sessions_unfinished ON sessions (status, ord) WHERE status IN ('pending', 'processing');

  CREATE TABLE permissions (
    session_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    ord BIGINT GENERATED ALWAYS AS IDENTITY,
    conversation_id TEXT NOT NULL,
    tool_call TEXT NOT NULL,
    options TEXT NOT NULL,
    status TEXT NOT NULL,
    option_id TEXT,
    created_at BIGINT NOT NULL,
    resolved_at BIGINT,
    PRIMARY KEY (session_id, request_id)
  );
  CREATE INDEX permissions_pending ON permissions (conversation_id) WHERE status = 'pending';

  -- The log. seq is NOT a sequence: it comes from log_head, advanced by each appending transaction
  -- right before it commits, under that row's lock (see pg-tx.ts: "Event order").
  CREATE TABLE events (
    seq BIGINT PRIMARY KEY,
    type TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    session_id TEXT,
    lifecycle BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX events_conversation ON events (conversation_id, seq);
  CREATE INDEX events_session ON events (session_id, seq) WHERE session_id IS NOT NULL;
  CREATE INDEX events_lifecycle ON events (seq) WHERE lifecycle;

  CREATE TABLE log_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
  );
  INSERT INTO log_head (id, seq) VALUES (1, 0);

  CREATE TABLE idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT idempotency_pkey PRIMARY KEY (scope, key)
  );
  CREATE INDEX idempotency_created ON idempotency (created_at);
  `,
  // 2: unfinished sessions per conversation, so that finding the next turn to run (on every send) costs
  // the same with 100 or 100,000 finished sessions in the history (as SQLite's migration 2).
  `
  CREATE INDEX sessions_unfinished_conversation ON sessions (conversation_id, ord)
    WHERE status IN ('pending', 'processing');
  `,
];
