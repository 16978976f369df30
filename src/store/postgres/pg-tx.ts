import type pg from 'pg';
import type { Conversation, Message, NewEvent, PermissionRequest, Session } from '../../domain/types.ts';
import type { IdempotencyRecord, Lease, Tx } from '../types.ts';
import { type BufferedEvent, bufferEvent, commitWithEvents } from './event-append.ts';
import {
  CONVERSATION_COLUMNS,
  type ConversationRow,
  conversationParams,
  conversationValues,
  leaseOf,
  type MessageRow,
  messageParams,
  PERMISSION_COLUMNS,
  type PermissionRow,
  permissionParams,
  permissionValues,
  placeholders,
  SESSION_COLUMNS,
  type SessionRow,
  sessionRow,
  sessionValues,
  toConversation,
  toMessage,
  toPermission,
  toSession,
} from './rows.ts';

// One transaction on one pooled connection, under READ COMMITTED.
//
// Why READ COMMITTED is enough: SQLite runs one writer at a time, so every command sees the rows as the
// previous command left them. Here we get the same for every row a command reads in order to change it:
// the single-row reads (getConversation, getSession, getLease, getPermission) take the row lock
// (SELECT … FOR UPDATE). A concurrent command on the same row waits, and then reads the row as committed by
// the first one (READ COMMITTED re-reads a locked row once the lock is released), so If-Match checks,
// status transitions, lease checks and "already answered" checks are all decided on the latest version.
// Rows that do not exist yet cannot be locked; the one case where that matters, the idempotency record, is
// guarded by its primary key instead (pg-errors.ts: a unique violation re-runs the transaction).
// Deadlocks from commands that lock the same rows in different orders are detected by PostgreSQL and
// the transaction is re-run (postgres-store.ts).
//
// Rows are inserted with the conversation's row locked first, so messages and sessions of one conversation
// get their `ord` in commit order too (sessions of a conversation run in that order). Events are numbered
// at commit (event-append.ts: "Event order").

export class PgTx implements Tx {
  private readonly events: BufferedEvent[] = [];
  // Rows this transaction holds the lock on, as it last read or wrote them. Nobody else can change a
  // locked row before we commit, so reading it again (commands often do: getLease then getSession, or
  // getConversation in a command and again in record.ts) would only cost a round trip.
  private readonly conversations = new Map<string, ConversationRow>();
  private readonly sessions = new Map<string, SessionRow>();

  constructor(
    private readonly client: pg.ClientBase,
    readonly now: number,
  ) {}

  private async rows<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    return (await this.client.query<R>(sql, params)).rows;
  }

  private async first<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R | null> {
    return (await this.rows<R>(sql, params))[0] ?? null;
  }

  /** Runs a write; returns how many rows it touched. */
  private async run(sql: string, params: unknown[]): Promise<number> {
    return (await this.client.query(sql, params)).rowCount ?? 0;
  }

  /** The conversation's row, locked for the rest of the transaction. */
  private async lockedConversation(id: string): Promise<ConversationRow | null> {
    const known = this.conversations.get(id);
    if (known) return known;
    const row = await this.first<ConversationRow>('SELECT * FROM conversations WHERE id = $1 FOR UPDATE', [
      id,
    ]);
    if (row) this.conversations.set(id, row);
    return row;
  }

  /** The session's row (lease included), locked for the rest of the transaction. */
  private async lockedSession(id: string): Promise<SessionRow | null> {
    const known = this.sessions.get(id);
    if (known) return known;
    const row = await this.first<SessionRow>('SELECT * FROM sessions WHERE id = $1 FOR UPDATE', [id]);
    if (row) this.sessions.set(id, row);
    return row;
  }

  async getConversation(id: string): Promise<Conversation | null> {
    const row = await this.lockedConversation(id);
    return row ? toConversation(row) : null;
  }

  async insertConversation(c: Conversation): Promise<void> {
    await this.run(
      `INSERT INTO conversations (${CONVERSATION_COLUMNS}) VALUES (${placeholders(CONVERSATION_COLUMNS)})`,
      conversationValues(c),
    );
    // A row this transaction inserted is invisible to others until commit: as good as locked.
    this.conversations.set(c.id, conversationParams(c));
  }

  async updateConversation(c: Conversation): Promise<void> {
    const n = await this.run(
      `UPDATE conversations SET agent_id = $2, title = $3, cwd = $4, status = $5, version = $6, settings = $7,
         acp_session_id = $8, created_at = $9, updated_at = $10 WHERE id = $1`,
      conversationValues(c),
    );
    // The UPDATE locked the row (when there was one).
    if (n > 0) this.conversations.set(c.id, conversationParams(c));
    else this.conversations.delete(c.id);
  }

  async deleteConversation(id: string): Promise<void> {
    await this.run('DELETE FROM conversations WHERE id = $1', [id]);
    await this.run('DELETE FROM messages WHERE conversation_id = $1', [id]);
    await this.run('DELETE FROM sessions WHERE conversation_id = $1', [id]);
    await this.run('DELETE FROM permissions WHERE conversation_id = $1', [id]);
    this.conversations.delete(id);
    for (const [sid, row] of this.sessions) if (row.conversation_id === id) this.sessions.delete(sid);
  }

  async getMessage(id: string): Promise<Message | null> {
    // Messages never change once written: no lock needed.
    const row = await this.first<MessageRow>('SELECT * FROM messages WHERE id = $1', [id]);
    return row ? toMessage(row) : null;
  }

  async insertMessage(m: Message): Promise<void> {
    await this.lockedConversation(m.conversationId);
    const p = messageParams(m);
    await this.run(
      `INSERT INTO messages (id, conversation_id, role, content, session_id, folder_context, attachments, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [p.id, p.conversation_id, p.role, p.content, p.session_id, p.folder_context, p.attachments, p.created_at],
    );
  }

  async getSession(id: string): Promise<Session | null> {
    const row = await this.lockedSession(id);
    return row ? toSession(row) : null;
  }

  async insertSession(s: Session): Promise<void> {
    await this.lockedConversation(s.conversationId);
    await this.run(
      `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (${placeholders(SESSION_COLUMNS)})`,
      sessionValues(s),
    );
    this.sessions.set(s.id, sessionRow(s, null));
  }

  async updateSession(s: Session): Promise<void> {
    const n = await this.run(
      `UPDATE sessions SET conversation_id = $2, message_id = $3, agent_id = $4, status = $5, created_at = $6,
         started_at = $7, completed_at = $8, response = $9, error = $10, stop_reason = $11, retry_of = $12,
         prompt_sent = $13, error_code = $14 WHERE id = $1`,
      sessionValues(s),
    );
    const known = this.sessions.get(s.id);
    // The lease columns are not part of the update: keep the row only when we know them.
    if (n > 0 && known) this.sessions.set(s.id, sessionRow(s, leaseOf(known)));
    else this.sessions.delete(s.id);
  }

  async countPendingSessions(conversationId: string, upTo: number): Promise<number> {
    const [row] = await this.rows<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM sessions WHERE conversation_id = $1
         AND status IN ('pending', 'processing') AND status = 'pending' LIMIT $2) AS pending`,
      [conversationId, upTo],
    );
    return Number(row?.n ?? 0);
  }

  async unfinishedSessions(conversationId: string): Promise<Session[]> {
    const rows = await this.rows<SessionRow>(
      `SELECT * FROM sessions WHERE conversation_id = $1 AND status IN ('pending', 'processing') ORDER BY ord`,
      [conversationId],
    );
    return rows.map(toSession);
  }

  async claimableSessions(limit: number): Promise<Session[]> {
    // SKIP LOCKED: a session another instance is claiming right now is left to it instead of waited for.
    // Once that claim commits the row is no longer pending, and PostgreSQL re-checks the WHERE clause on
    // the latest row version before handing a row out, so two instances never both get it. (A live lease
    // on a pending row is the caller's to check, as on SQLite: see claimNextSession.)
    // The head (oldest unfinished turn) of each conversation's queue, when still pending: a skip-scan over
    // sessions_unfinished_conversation, one index probe per conversation with unfinished turns, so a long
    // queue behind a busy turn costs nothing.
    const rows = await this.rows<SessionRow>(
      `WITH RECURSIVE busy(cid) AS (
         (SELECT conversation_id FROM sessions WHERE status IN ('pending', 'processing')
          ORDER BY conversation_id LIMIT 1)
         UNION ALL
         SELECT (SELECT conversation_id FROM sessions
                 WHERE status IN ('pending', 'processing') AND conversation_id > busy.cid
                 ORDER BY conversation_id LIMIT 1)
         FROM busy WHERE busy.cid IS NOT NULL
       )
       SELECT s.* FROM busy JOIN sessions s ON s.id = (
         SELECT h.id FROM sessions h WHERE h.conversation_id = busy.cid AND h.status IN ('pending', 'processing')
         ORDER BY h.ord LIMIT 1)
       WHERE s.status = 'pending'
       ORDER BY s.ord LIMIT $1
       FOR UPDATE OF s SKIP LOCKED`,
      [limit],
    );
    for (const r of rows) this.sessions.set(r.id, r);
    return rows.map(toSession);
  }

  async getLease(sessionId: string): Promise<Lease | null> {
    const row = await this.lockedSession(sessionId);
    return row ? leaseOf(row) : null;
  }

  async setLease(sessionId: string, lease: Lease | null): Promise<void> {
    const n = await this.run('UPDATE sessions SET lease_owner = $2, lease_until = $3 WHERE id = $1', [
      sessionId,
      lease?.owner ?? null,
      lease?.until ?? null,
    ]);
    const known = this.sessions.get(sessionId);
    if (n > 0 && known) {
      this.sessions.set(sessionId, {
        ...known,
        lease_owner: lease?.owner ?? null,
        lease_until: lease?.until ?? null,
      });
    } else {
      this.sessions.delete(sessionId);
    }
  }

  async getPermission(sessionId: string, requestId: string): Promise<PermissionRequest | null> {
    const row = await this.first<PermissionRow>(
      'SELECT * FROM permissions WHERE session_id = $1 AND request_id = $2 FOR UPDATE',
      [sessionId, requestId],
    );
    return row ? toPermission(row) : null;
  }

  async insertPermission(p: PermissionRequest): Promise<void> {
    await this.run(
      `INSERT INTO permissions (${PERMISSION_COLUMNS}) VALUES (${placeholders(PERMISSION_COLUMNS)})`,
      permissionValues(p),
    );
  }

  async updatePermission(p: PermissionRequest): Promise<void> {
    const r = permissionParams(p);
    await this.run(
      `UPDATE permissions SET tool_call = $3, options = $4, status = $5, option_id = $6, resolved_at = $7
       WHERE session_id = $1 AND request_id = $2`,
      [r.session_id, r.request_id, r.tool_call, r.options, r.status, r.option_id, r.resolved_at],
    );
  }

  async pendingPermissions(sessionId: string): Promise<PermissionRequest[]> {
    const rows = await this.rows<PermissionRow>(
      `SELECT * FROM permissions WHERE session_id = $1 AND status = 'pending' ORDER BY created_at, ord`,
      [sessionId],
    );
    return rows.map(toPermission);
  }

  async getIdempotency(scope: string, key: string): Promise<IdempotencyRecord | null> {
    return this.first<IdempotencyRecord & pg.QueryResultRow>(
      'SELECT scope, key, fingerprint, status, body, created_at FROM idempotency WHERE scope = $1 AND key = $2',
      [scope, key],
    );
  }

  async putIdempotency(r: IdempotencyRecord): Promise<void> {
    // Plain INSERT (see Tx.putIdempotency): a concurrent twin that committed first makes this fail with
    // 23505 on idempotency_pkey, and the store re-runs the whole transaction, which then replays.
    await this.run(
      'INSERT INTO idempotency (scope, key, fingerprint, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [r.scope, r.key, r.fingerprint, r.status, r.body, r.created_at],
    );
  }

  async deleteIdempotency(scope: string, key: string): Promise<void> {
    await this.run('DELETE FROM idempotency WHERE scope = $1 AND key = $2', [scope, key]);
  }

  async append(e: NewEvent, at?: number): Promise<void> {
    this.events.push(bufferEvent(e, at));
  }

  /** Commits, writing the buffered events first. Returns the newest seq written (0: none); see event-append.ts. */
  commit(): Promise<number> {
    return commitWithEvents(this.client, this.events, this.now);
  }
}
