import type Database from 'better-sqlite3';
import type { IdempotencyRecord } from '../types.ts';
import type { ConversationRow, EventRow, MessageRow, PermissionRow, SessionRow } from './rows.ts';

// Every statement the SQLite store runs, prepared once per connection: the writer's (used by SqliteTx
// inside group commit) and the reader's (the Store's reads, on a second, read-only connection).
//
// Lists end with a unique key (ord, id, seq, rowid), so rows that tie on the first sort key come back
// in the same order on both stores (PostgreSQL's queries use the same keys).

export type WriterStatements = ReturnType<typeof prepareWriter>;
export type ReaderStatements = ReturnType<typeof prepareReader>;

export function prepareWriter(db: Database.Database) {
  return {
    getConversation: db.prepare<[string], ConversationRow>('SELECT * FROM conversations WHERE id = ?'),
    insertConversation: db.prepare(
      `INSERT INTO conversations (id, agent_id, title, cwd, status, version, settings, acp_session_id, created_at, updated_at)
       VALUES (@id, @agent_id, @title, @cwd, @status, @version, @settings, @acp_session_id, @created_at, @updated_at)`,
    ),
    updateConversation: db.prepare(
      `UPDATE conversations SET agent_id=@agent_id, title=@title, cwd=@cwd, status=@status, version=@version,
       settings=@settings, acp_session_id=@acp_session_id, created_at=@created_at, updated_at=@updated_at WHERE id=@id`,
    ),
    deleteConversation: db.prepare('DELETE FROM conversations WHERE id = ?'),
    deleteMessages: db.prepare('DELETE FROM messages WHERE conversation_id = ?'),
    deleteSessions: db.prepare('DELETE FROM sessions WHERE conversation_id = ?'),
    deletePermissions: db.prepare('DELETE FROM permissions WHERE conversation_id = ?'),
    getMessage: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id = ?'),
    insertMessage: db.prepare(
      `INSERT INTO messages (id, ord, conversation_id, role, content, session_id, folder_context, attachments, created_at)
       VALUES (@id, (SELECT coalesce(max(ord), 0) + 1 FROM messages), @conversation_id, @role, @content, @session_id,
         @folder_context, @attachments, @created_at)`,
    ),
    getSession: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?'),
    insertSession: db.prepare(
      `INSERT INTO sessions (id, ord, conversation_id, message_id, agent_id, status, created_at, started_at, completed_at,
         response, error, stop_reason, retry_of, prompt_sent, error_code)
       VALUES (@id, (SELECT coalesce(max(ord), 0) + 1 FROM sessions), @conversation_id, @message_id, @agent_id, @status,
         @created_at, @started_at, @completed_at, @response, @error, @stop_reason, @retry_of, @prompt_sent, @error_code)`,
    ),
    updateSession: db.prepare(
      `UPDATE sessions SET conversation_id=@conversation_id, message_id=@message_id, agent_id=@agent_id, status=@status,
         created_at=@created_at, started_at=@started_at, completed_at=@completed_at, response=@response, error=@error,
         stop_reason=@stop_reason, retry_of=@retry_of, prompt_sent=@prompt_sent, error_code=@error_code WHERE id=@id`,
    ),
    // Counted on the partial index of unfinished sessions (its condition repeated so the planner takes it),
    // no further than the limit: a send must not cost more as the queue grows.
    countPending: db.prepare<[string, number], { n: number }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM sessions WHERE conversation_id = ?
         AND status IN ('pending', 'processing') AND status = 'pending' LIMIT ?)`,
    ),
    unfinishedSessions: db.prepare<[string], SessionRow>(
      `SELECT * FROM sessions WHERE conversation_id = ? AND status IN ('pending', 'processing') ORDER BY ord`,
    ),
    // The head (oldest unfinished turn) of each conversation's queue, when it is still pending. A skip-scan
    // over the partial index (migration 2): one index probe per conversation that has unfinished turns, so
    // a long queue behind a busy turn (thousands of messages sent while the agent works) costs nothing.
    // The literal status IN (…) terms let SQLite use the partial indexes.
    claimable: db.prepare<[number], SessionRow>(
      `WITH RECURSIVE busy(cid) AS (
         SELECT min(conversation_id) FROM sessions INDEXED BY sessions_unfinished_conversation
         WHERE status IN ('pending', 'processing')
         UNION ALL
         SELECT (SELECT min(conversation_id) FROM sessions INDEXED BY sessions_unfinished_conversation
                 WHERE status IN ('pending', 'processing') AND conversation_id > busy.cid)
         FROM busy WHERE busy.cid IS NOT NULL
       )
       SELECT s.* FROM busy JOIN sessions s ON s.id = (
         SELECT h.id FROM sessions h WHERE h.conversation_id = busy.cid AND h.status IN ('pending', 'processing')
         ORDER BY h.ord LIMIT 1)
       WHERE s.status = 'pending'
       ORDER BY s.ord LIMIT ?`,
    ),
    getLease: db.prepare<[string], { lease_owner: string | null; lease_until: number | null }>(
      'SELECT lease_owner, lease_until FROM sessions WHERE id = ?',
    ),
    setLease: db.prepare('UPDATE sessions SET lease_owner = ?, lease_until = ? WHERE id = ?'),
    getPermission: db.prepare<[string, string], PermissionRow>(
      'SELECT * FROM permissions WHERE session_id = ? AND request_id = ?',
    ),
    insertPermission: db.prepare(
      `INSERT INTO permissions (session_id, request_id, conversation_id, tool_call, options, status, option_id, created_at, resolved_at)
       VALUES (@session_id, @request_id, @conversation_id, @tool_call, @options, @status, @option_id, @created_at, @resolved_at)`,
    ),
    updatePermission: db.prepare(
      `UPDATE permissions SET tool_call=@tool_call, options=@options, status=@status, option_id=@option_id,
         resolved_at=@resolved_at WHERE session_id=@session_id AND request_id=@request_id`,
    ),
    // rowid: insertion order among rows created at the same millisecond (PostgreSQL: the ord column).
    pendingPermissions: db.prepare<[string], PermissionRow>(
      `SELECT * FROM permissions WHERE session_id = ? AND status = 'pending' ORDER BY created_at, rowid`,
    ),
    getIdempotency: db.prepare<[string, string], IdempotencyRecord>(
      'SELECT * FROM idempotency WHERE scope = ? AND key = ?',
    ),
    putIdempotency: db.prepare(
      `INSERT INTO idempotency (scope, key, fingerprint, status, body, created_at)
       VALUES (@scope, @key, @fingerprint, @status, @body, @created_at)`,
    ),
    deleteIdempotency: db.prepare('DELETE FROM idempotency WHERE scope = ? AND key = ?'),
    append: db.prepare(
      `INSERT INTO events (type, conversation_id, session_id, lifecycle, created_at, data)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    purgeIdempotency: db.prepare('DELETE FROM idempotency WHERE created_at < ?'),
  };
}

/**
 * The searchable text of a message: the text itself, or an answer's `text` field. Never its JSON: '"',
 * '\n' or the keys of an answer ("text", "blocks") must not match every conversation. NUL characters are
 * left out, as PostgreSQL's query must (pg-reads.ts): escaped backslashes are rewritten as \u005c first,
 * so that every "\u0000" left in the JSON is a NUL escape, and those are dropped before parsing.
 */
// (char(92) is a backslash: no escaping rules to get wrong.)
const MESSAGE_JSON = `replace(replace(content, char(92, 92), char(92) || 'u005c'), char(92) || 'u0000', '')`;
const MESSAGE_TEXT = `CASE WHEN substr(content, 1, 1) = '"' THEN json_extract(${MESSAGE_JSON}, '$')
  ELSE json_extract(${MESSAGE_JSON}, '$.text') END`;

export function prepareReader(db: Database.Database) {
  return {
    listConversations: db.prepare<[], ConversationRow>(
      'SELECT * FROM conversations ORDER BY updated_at DESC, id',
    ),
    // LIKE ignores the case of ASCII letters only; PostgreSQL's query folds the same way.
    searchConversations: db.prepare<[string, string], ConversationRow>(
      `SELECT * FROM conversations WHERE title LIKE ? ESCAPE '\\'
         OR id IN (SELECT conversation_id FROM messages WHERE ${MESSAGE_TEXT} LIKE ? ESCAPE '\\')
       ORDER BY updated_at DESC, id`,
    ),
    getConversation: db.prepare<[string], ConversationRow>('SELECT * FROM conversations WHERE id = ?'),
    listMessages: db.prepare<[string], MessageRow>(
      'SELECT * FROM messages WHERE conversation_id = ? ORDER BY ord',
    ),
    lastMessages: db.prepare<[string, number], MessageRow>(
      'SELECT * FROM messages WHERE conversation_id = ? ORDER BY ord DESC LIMIT ?',
    ),
    lastMessagesBefore: db.prepare<[string, string, number], MessageRow>(
      `SELECT * FROM messages WHERE conversation_id = ? AND ord < (SELECT ord FROM messages WHERE id = ?)
       ORDER BY ord DESC LIMIT ?`,
    ),
    getMessage: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id = ?'),
    getSession: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?'),
    latestSession: db.prepare<[string], SessionRow>(
      'SELECT * FROM sessions WHERE conversation_id = ? ORDER BY ord DESC LIMIT 1',
    ),
    listSessions: db.prepare<[string], SessionRow>(
      'SELECT * FROM sessions WHERE conversation_id = ? ORDER BY ord DESC',
    ),
    listSessionsByStatus: db.prepare<[string, string], SessionRow>(
      'SELECT * FROM sessions WHERE conversation_id = ? AND status = ? ORDER BY ord DESC',
    ),
    getPermission: db.prepare<[string, string], PermissionRow>(
      'SELECT * FROM permissions WHERE session_id = ? AND request_id = ?',
    ),
    pendingPermissions: db.prepare<[string], PermissionRow>(
      `SELECT * FROM permissions WHERE conversation_id = ? AND status = 'pending' ORDER BY created_at, rowid`,
    ),
    eventsAll: db.prepare<[number, number], EventRow>(
      'SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?',
    ),
    eventsLifecycle: db.prepare<[number, number], EventRow>(
      'SELECT * FROM events WHERE lifecycle = 1 AND seq > ? ORDER BY seq LIMIT ?',
    ),
    eventsConversation: db.prepare<[string, number, number], EventRow>(
      'SELECT * FROM events WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    eventsSession: db.prepare<[string, number, number], EventRow>(
      'SELECT * FROM events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    // Lifecycle only within a conversation or session: filtered before LIMIT, so a page is full.
    eventsConversationLifecycle: db.prepare<[string, number, number], EventRow>(
      'SELECT * FROM events WHERE conversation_id = ? AND lifecycle = 1 AND seq > ? ORDER BY seq LIMIT ?',
    ),
    eventsSessionLifecycle: db.prepare<[string, number, number], EventRow>(
      'SELECT * FROM events WHERE session_id = ? AND lifecycle = 1 AND seq > ? ORDER BY seq LIMIT ?',
    ),
    lastSeq: db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM events'),
    lastSeqConversation: db.prepare<[string], { seq: number | null }>(
      'SELECT max(seq) AS seq FROM events WHERE conversation_id = ?',
    ),
    allConversations: db.prepare<[], ConversationRow>('SELECT * FROM conversations ORDER BY id'),
    allMessages: db.prepare<[], MessageRow>('SELECT * FROM messages ORDER BY ord'),
    allSessions: db.prepare<[], SessionRow>('SELECT * FROM sessions ORDER BY ord'),
  };
}
