import { EventEmitter } from 'node:events';
import Database from 'better-sqlite3';
import { StoreUnavailableError } from '../../domain/errors.ts';
import { isLifecycleType } from '../../domain/events.ts';
import type {
  Conversation,
  Message,
  NewEvent,
  PermissionRequest,
  Session,
  SessionStatus,
  StoredEvent,
} from '../../domain/types.ts';
import type { EventQuery, IdempotencyRecord, Lease, MessagePage, Store, Tx } from '../types.ts';
import { eventFromRow, splitEvent } from '../event-row.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';
import {
  type ConversationRow,
  conversationParams,
  type EventRow,
  type MessageRow,
  messageParams,
  type PermissionRow,
  permissionParams,
  type SessionRow,
  sessionParams,
  toConversation,
  toMessage,
  toPermission,
  toSession,
} from './rows.ts';

// Durability: WAL with synchronous=FULL. Every COMMIT fsyncs the WAL before the promise resolves, so an
// acknowledged write survives kill -9 *and* power loss (as far as the disk honours fsync). NORMAL would
// only survive process crashes; group commit (below) makes FULL cheap enough that we need not choose.
//
// Group commit: transactions are queued and run back to back inside one SQLite transaction, each in its
// own SAVEPOINT so that one failing command rolls back alone. One fsync then acknowledges the whole batch.
// Writes go through one connection; reads use a second one, so a reader never sees a batch before it
// has committed.

type Queued = {
  fn: (tx: Tx) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
};

const MAX_BATCH = 256;

export interface SqliteStoreOptions {
  /** Path of the database file. */
  file: string;
  /** 'FULL' (default) or 'NORMAL'; benchmarks compare both against raw SQLite at the same level. */
  synchronous?: 'FULL' | 'NORMAL';
}

export function openSqliteStore(opts: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(opts);
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly rdb: Database.Database;
  private readonly emitter = new EventEmitter();
  private queue: Queued[] = [];
  private scheduled = false;
  /** True from the moment a drain starts until it has seen the queue empty (set and cleared synchronously). */
  private running = false;
  private draining: Promise<void> | null = null;
  private closed = false;
  private readonly w: ReturnType<SqliteStore['prepareWriter']>;
  private readonly r: ReturnType<SqliteStore['prepareReader']>;

  constructor(opts: SqliteStoreOptions) {
    this.db = new Database(opts.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = OFF');
    this.migrate();
    this.rdb = new Database(opts.file, { readonly: true });
    this.rdb.pragma('busy_timeout = 5000');
    this.emitter.setMaxListeners(0);
    this.w = this.prepareWriter();
    this.r = this.prepareReader();
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = current; v < SQLITE_MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(SQLITE_MIGRATIONS[v]);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  private prepareWriter() {
    const db = this.db;
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
        `INSERT INTO messages (id, ord, conversation_id, role, content, session_id, folder_context, created_at)
         VALUES (@id, (SELECT coalesce(max(ord), 0) + 1 FROM messages), @conversation_id, @role, @content, @session_id,
           @folder_context, @created_at)`,
      ),
      getSession: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?'),
      insertSession: db.prepare(
        `INSERT INTO sessions (id, ord, conversation_id, message_id, agent_id, status, created_at, started_at, completed_at,
           response, error, stop_reason, retry_of, prompt_sent)
         VALUES (@id, (SELECT coalesce(max(ord), 0) + 1 FROM sessions), @conversation_id, @message_id, @agent_id, @status,
           @created_at, @started_at, @completed_at, @response, @error, @stop_reason, @retry_of, @prompt_sent)`,
      ),
      updateSession: db.prepare(
        `UPDATE sessions SET conversation_id=@conversation_id, message_id=@message_id, agent_id=@agent_id, status=@status,
           created_at=@created_at, started_at=@started_at, completed_at=@completed_at, response=@response, error=@error,
           stop_reason=@stop_reason, retry_of=@retry_of, prompt_sent=@prompt_sent WHERE id=@id`,
      ),
      unfinishedSessions: db.prepare<[string], SessionRow>(
        `SELECT * FROM sessions WHERE conversation_id = ? AND status IN ('pending', 'processing') ORDER BY ord`,
      ),
      // The first unfinished session of each conversation, when it is still pending. The literal
      // status IN (…) terms let SQLite use the partial indexes (migration 2): a full scan of every
      // session ever run made each send slower as history grew.
      // The head (oldest unfinished turn) of each conversation's queue, when it is still pending. A skip-scan
      // over the partial index: one index probe per conversation that has unfinished turns, so a long
      // queue behind a busy turn (thousands of messages sent while the agent works) costs nothing.
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
      pendingPermissions: db.prepare<[string], PermissionRow>(
        `SELECT * FROM permissions WHERE session_id = ? AND status = 'pending' ORDER BY created_at`,
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

  private prepareReader() {
    const db = this.rdb;
    return {
      listConversations: db.prepare<[], ConversationRow>('SELECT * FROM conversations ORDER BY updated_at DESC, id'),
      searchConversations: db.prepare<[string, string], ConversationRow>(
        // The text of a message, not its JSON: '"', '\\n' or the keys of an answer ("text", "blocks")
        // must not match every conversation.
        `SELECT * FROM conversations WHERE title LIKE ? ESCAPE '\\'
           OR id IN (SELECT conversation_id FROM messages
                     WHERE coalesce(json_extract(content, '$.text'), json_extract(content, '$')) LIKE ? ESCAPE '\\')
         ORDER BY updated_at DESC, id`,
      ),
      getConversation: db.prepare<[string], ConversationRow>('SELECT * FROM conversations WHERE id = ?'),
      listMessages: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE conversation_id = ? ORDER BY ord'),
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
      listSessions: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE conversation_id = ? ORDER BY ord DESC'),
      listSessionsByStatus: db.prepare<[string, string], SessionRow>(
        'SELECT * FROM sessions WHERE conversation_id = ? AND status = ? ORDER BY ord DESC',
      ),
      getPermission: db.prepare<[string, string], PermissionRow>(
        'SELECT * FROM permissions WHERE session_id = ? AND request_id = ?',
      ),
      pendingPermissions: db.prepare<[string], PermissionRow>(
        `SELECT * FROM permissions WHERE conversation_id = ? AND status = 'pending' ORDER BY created_at`,
      ),
      eventsAll: db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?'),
      eventsLifecycle: db.prepare<[number, number], EventRow>(
        'SELECT * FROM events WHERE lifecycle = 1 AND seq > ? ORDER BY seq LIMIT ?',
      ),
      eventsConversation: db.prepare<[string, number, number], EventRow>(
        'SELECT * FROM events WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      eventsSession: db.prepare<[string, number, number], EventRow>(
        'SELECT * FROM events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?',
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

  // ---- writes ----

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError(new Error('store closed')));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      this.kick();
    });
  }

  // `running` (not `draining`) decides whether to schedule: a caller resumed by a commit runs before the
  // drain promise settles, and its next transaction must not wait for a wake-up that never comes.
  private kick(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    // Wait for the rest of this event-loop turn: requests that arrived together commit together.
    setImmediate(() => {
      this.scheduled = false;
      this.running = true;
      const p = this.drain();
      this.draining = p;
      void p.finally(() => {
        if (this.draining === p) this.draining = null;
      });
    });
  }

  private async drain(): Promise<void> {
    try {
      await this.drainQueue();
    } finally {
      // Normally already cleared in drainQueue; this covers an unexpected throw, after which
      // anything still queued gets a new drain instead of waiting forever.
      this.running = false;
      if (this.queue.length > 0) this.kick();
    }
  }

  private async drainQueue(): Promise<void> {
    // The empty-queue check and clearing `running` happen in one synchronous step (see kick).
    for (;;) {
      if (this.queue.length === 0) {
        this.running = false;
        return;
      }
      const batch = this.queue.splice(0, MAX_BATCH);
      const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
      let lastSeq = 0;
      try {
        this.db.exec('BEGIN IMMEDIATE');
      } catch (e) {
        for (const q of batch) q.reject(new StoreUnavailableError(e));
        continue;
      }
      let lost: unknown = null;
      for (const q of batch) {
        const tx = new SqliteTx(this.w, Date.now());
        try {
          this.db.exec('SAVEPOINT cmd');
        } catch (e) {
          lost = e;
          break;
        }
        try {
          const value = await q.fn(tx);
          this.db.exec('RELEASE cmd');
          outcomes.push({ ok: true, value });
          if (tx.lastSeq > lastSeq) lastSeq = tx.lastSeq;
        } catch (error) {
          try {
            this.db.exec('ROLLBACK TO cmd');
            this.db.exec('RELEASE cmd');
          } catch (e) {
            // SQLite rolled the whole transaction back itself (I/O error, disk full): the batch is lost.
            lost = e;
            break;
          }
          outcomes.push({ ok: false, error });
        }
      }
      if (lost !== null) {
        if (this.db.inTransaction) {
          try {
            this.db.exec('ROLLBACK');
          } catch {
            // Nothing left to roll back.
          }
        }
        for (const q of batch) q.reject(new StoreUnavailableError(lost));
        continue;
      }
      try {
        this.db.exec('COMMIT');
      } catch (e) {
        try {
          this.db.exec('ROLLBACK');
        } catch {
          // Already rolled back by SQLite.
        }
        for (const q of batch) q.reject(new StoreUnavailableError(e));
        continue;
      }
      batch.forEach((q, i) => {
        const o = outcomes[i];
        if (o.ok) q.resolve(o.value);
        else q.reject(o.error);
      });
      if (lastSeq > 0) this.emitter.emit('append', lastSeq);
    }
  }

  // ---- reads ----

  async listConversations(opts?: { q?: string }): Promise<Conversation[]> {
    const q = opts?.q?.trim();
    if (!q) return this.r.listConversations.all().map(toConversation);
    const like = `%${escapeLike(q)}%`;
    return this.r.searchConversations.all(like, like).map(toConversation);
  }

  async getConversation(id: string): Promise<Conversation | null> {
    const row = this.r.getConversation.get(id);
    return row ? toConversation(row) : null;
  }

  async listMessages(conversationId: string, page?: MessagePage): Promise<Message[]> {
    if (!page) return this.r.listMessages.all(conversationId).map(toMessage);
    const rows = page.before
      ? this.r.lastMessagesBefore.all(conversationId, page.before, page.limit)
      : this.r.lastMessages.all(conversationId, page.limit);
    return rows.reverse().map(toMessage);
  }

  async getMessage(id: string): Promise<Message | null> {
    const row = this.r.getMessage.get(id);
    return row ? toMessage(row) : null;
  }

  async getSession(id: string): Promise<Session | null> {
    const row = this.r.getSession.get(id);
    return row ? toSession(row) : null;
  }

  async latestSession(conversationId: string): Promise<Session | null> {
    const row = this.r.latestSession.get(conversationId);
    return row ? toSession(row) : null;
  }

  async listSessions(conversationId: string, status?: SessionStatus): Promise<Session[]> {
    const rows = status
      ? this.r.listSessionsByStatus.all(conversationId, status)
      : this.r.listSessions.all(conversationId);
    return rows.map(toSession);
  }

  async sessionsWithStatus(statuses: SessionStatus[]): Promise<Array<Session & { lease: Lease | null }>> {
    if (statuses.length === 0) return [];
    // Only unfinished ones (the common case: recovery, lease checks): say so literally, so the partial
    // index is used instead of a scan of every session ever run.
    const unfinishedOnly = statuses.every((s) => s === 'pending' || s === 'processing');
    const rows = this.rdb
      .prepare<string[], SessionRow>(
        `SELECT * FROM sessions WHERE ${unfinishedOnly ? "status IN ('pending', 'processing') AND " : ''}status IN (${statuses.map(() => '?').join(',')}) ORDER BY ord`,
      )
      .all(...statuses);
    return rows.map((r) => ({
      ...toSession(r),
      lease: r.lease_owner && r.lease_until !== null ? { owner: r.lease_owner, until: r.lease_until } : null,
    }));
  }

  async getPermission(sessionId: string, requestId: string): Promise<PermissionRequest | null> {
    const row = this.r.getPermission.get(sessionId, requestId);
    return row ? toPermission(row) : null;
  }

  async pendingPermissions(conversationId: string): Promise<PermissionRequest[]> {
    return this.r.pendingPermissions.all(conversationId).map(toPermission);
  }

  async readEvents(q: EventQuery): Promise<StoredEvent[]> {
    const limit = Math.max(1, Math.min(q.limit, 10_000));
    let rows: EventRow[];
    if (q.sessionId) rows = this.r.eventsSession.all(q.sessionId, q.after, limit);
    else if (q.conversationId) rows = this.r.eventsConversation.all(q.conversationId, q.after, limit);
    else if (q.lifecycleOnly) rows = this.r.eventsLifecycle.all(q.after, limit);
    else rows = this.r.eventsAll.all(q.after, limit);
    if (q.lifecycleOnly && (q.sessionId || q.conversationId)) rows = rows.filter((r) => isLifecycleType(r.type));
    return rows.map(eventFromRow);
  }

  async lastSeq(conversationId?: string): Promise<number> {
    const row = conversationId ? this.r.lastSeqConversation.get(conversationId) : this.r.lastSeq.get();
    return row?.seq ?? 0;
  }

  onAppend(listener: (lastSeq: number) => void): () => void {
    this.emitter.on('append', listener);
    return () => this.emitter.off('append', listener);
  }

  async purgeIdempotency(olderThan: number): Promise<number> {
    return this.transaction(async () => this.w.purgeIdempotency.run(olderThan).changes);
  }

  async dumpTables() {
    return {
      conversations: this.r.allConversations.all().map(toConversation),
      messages: this.r.allMessages.all().map(toMessage),
      sessions: this.r.allSessions.all().map(toSession),
    };
  }

  /** PRAGMA integrity_check, for tests and `gmgui doctor`. */
  integrityCheck(): string {
    return this.rdb.pragma('integrity_check', { simple: true }) as string;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.scheduled || this.draining) {
      await (this.draining ?? new Promise((r) => setImmediate(r)));
    }
    this.emitter.removeAllListeners();
    this.rdb.close();
    this.db.close();
  }
}

class SqliteTx implements Tx {
  lastSeq = 0;
  constructor(
    private readonly w: SqliteStore['w'],
    readonly now: number,
  ) {}

  async getConversation(id: string) {
    const row = this.w.getConversation.get(id);
    return row ? toConversation(row) : null;
  }
  async insertConversation(c: Conversation) {
    this.w.insertConversation.run(conversationParams(c));
  }
  async updateConversation(c: Conversation) {
    this.w.updateConversation.run(conversationParams(c));
  }
  async deleteConversation(id: string) {
    this.w.deleteConversation.run(id);
    this.w.deleteMessages.run(id);
    this.w.deleteSessions.run(id);
    this.w.deletePermissions.run(id);
  }
  async getMessage(id: string) {
    const row = this.w.getMessage.get(id);
    return row ? toMessage(row) : null;
  }
  async insertMessage(m: Message) {
    this.w.insertMessage.run(messageParams(m));
  }
  async getSession(id: string) {
    const row = this.w.getSession.get(id);
    return row ? toSession(row) : null;
  }
  async insertSession(s: Session) {
    this.w.insertSession.run(sessionParams(s));
  }
  async updateSession(s: Session) {
    this.w.updateSession.run(sessionParams(s));
  }
  async unfinishedSessions(conversationId: string) {
    return this.w.unfinishedSessions.all(conversationId).map(toSession);
  }
  async claimableSessions(limit: number) {
    return this.w.claimable.all(limit).map(toSession);
  }
  async getLease(sessionId: string): Promise<Lease | null> {
    const row = this.w.getLease.get(sessionId);
    return row?.lease_owner && row.lease_until !== null ? { owner: row.lease_owner, until: row.lease_until } : null;
  }
  async setLease(sessionId: string, lease: Lease | null) {
    this.w.setLease.run(lease?.owner ?? null, lease?.until ?? null, sessionId);
  }
  async getPermission(sessionId: string, requestId: string) {
    const row = this.w.getPermission.get(sessionId, requestId);
    return row ? toPermission(row) : null;
  }
  async insertPermission(p: PermissionRequest) {
    this.w.insertPermission.run(permissionParams(p));
  }
  async updatePermission(p: PermissionRequest) {
    this.w.updatePermission.run(permissionParams(p));
  }
  async pendingPermissions(sessionId: string) {
    return this.w.pendingPermissions.all(sessionId).map(toPermission);
  }
  async getIdempotency(scope: string, key: string) {
    return this.w.getIdempotency.get(scope, key) ?? null;
  }
  async putIdempotency(r: IdempotencyRecord) {
    this.w.putIdempotency.run(r);
  }
  async deleteIdempotency(scope: string, key: string) {
    this.w.deleteIdempotency.run(scope, key);
  }
  async append(e: NewEvent) {
    const { sessionId, data } = splitEvent(e);
    const info = this.w.append.run(e.type, e.conversationId, sessionId, isLifecycleType(e.type) ? 1 : 0, this.now, data);
    this.lastSeq = Number(info.lastInsertRowid);
  }
}
