import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { StartupError } from '../../data-dir.ts';
import { StoreUnavailableError } from '../../domain/errors.ts';
import type {
  Conversation,
  Message,
  PermissionRequest,
  Session,
  SessionStatus,
  StoredEvent,
} from '../../domain/types.ts';
import type { EventQuery, Lease, MessagePage, Store, Tx } from '../types.ts';
import { AppendWatcher } from './append-watcher.ts';
import { migrate } from './migrate.ts';
import { isRetryable, isUnavailable, mapError } from './pg-errors.ts';
import { PgTx } from './pg-tx.ts';
import { clientConfig, DEFAULTS, type PostgresStoreOptions, poolConfig } from './pool-config.ts';
import {
  type ConversationRow,
  type EventRow,
  eventFromRow,
  leaseOf,
  type MessageRow,
  type PermissionRow,
  type SessionRow,
  toConversation,
  toMessage,
  toPermission,
  toSession,
} from './rows.ts';

// The Store on PostgreSQL, for several gmgui instances sharing one database. How each guarantee is kept:
// - atomicity and durability: one BEGIN … COMMIT per command on one pooled connection; the promise
//   resolves after COMMIT returns (synchronous_commit as the server is configured; the default is on).
// - isolation: READ COMMITTED plus row locks on what a command reads to change it (pg-tx.ts).
// - event order: appends are numbered at commit time under the log head's lock (pg-tx.ts).
// - idempotency across instances: the idempotency primary key; a losing twin re-runs and replays.
// - fan-out: AppendWatcher (LISTEN/NOTIFY as a wake-up, polling as the safety net).
// - a lost database is a StoreUnavailableError (503), for reads and writes alike.

export type { PostgresStoreOptions } from './pool-config.ts';

export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<PostgresStore> {
  const opts: Required<PostgresStoreOptions> = { ...DEFAULTS, ...options };
  const pool = new pg.Pool(poolConfig(url, opts));
  // An idle pooled connection that breaks (server restart, network) emits here; without a handler that
  // would crash the process. The pool drops the client; the next query opens a new one.
  pool.on('error', () => undefined);
  try {
    const { client, release } = await checkout(pool);
    try {
      await migrate(client);
    } finally {
      release();
    }
  } catch (e) {
    await pool.end().catch(() => undefined);
    if (isUnavailable(e)) {
      throw new StartupError(
        `Cannot reach PostgreSQL at ${describeUrl(url)} (DATABASE_URL): ${(e as Error).message}. ` +
          'Start the database or fix DATABASE_URL.',
        5,
      );
    }
    throw e;
  }
  const store = new PostgresStore(pool, url, opts);
  try {
    await store.start();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw mapError(e);
  }
  return store;
}

/**
 * A pooled connection for a while. The pool listens for connection errors only on idle connections; one
 * that breaks while checked out but between queries (e.g. inside a transaction waiting on the caller)
 * would emit an unhandled 'error' and crash the process. Here it is caught, and the connection is
 * discarded on release instead of going back to the pool.
 */
async function checkout(pool: pg.Pool): Promise<{ client: pg.PoolClient; release: (err?: Error) => void }> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (err: Error) => {
    lost ??= err;
  };
  client.on('error', onError);
  return {
    client,
    release: (err?: Error) => {
      client.removeListener('error', onError);
      client.release(err ?? lost);
    },
  };
}

/** host:port/database without the password, for messages. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'the configured address';
  }
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly watcher: AppendWatcher;
  private closed = false;
  /** Transactions re-run after a conflict (tests and the benchmark read it). */
  retries = 0;
  private inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly pool: pg.Pool,
    url: string,
    private readonly opts: Required<PostgresStoreOptions>,
  ) {
    this.watcher = new AppendWatcher({
      clientConfig: clientConfig(url, opts),
      pollMs: opts.pollMs,
      readHead: () => this.headSeq(),
      // The watcher recovers by itself (reconnect, poll); a failure only delays wake-ups.
      onError: () => undefined,
    });
  }

  async start(): Promise<void> {
    await this.watcher.start();
  }

  // ---- writes ----

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError(new Error('store closed')));
    const p = this.runWithRetries(fn);
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  private async runWithRetries<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runOnce(fn);
      } catch (e) {
        if (!isRetryable(e) || attempt >= this.opts.maxAttempts) throw mapError(e);
        this.retries++;
        // Jittered, growing pause so that colliding transactions do not collide again in lockstep.
        await sleep(Math.random() * Math.min(100, 2 ** attempt));
      }
    }
  }

  private async runOnce<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const { client, release } = await checkout(this.pool);
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const tx = new PgTx(client, Date.now());
        const value = await fn(tx);
        const lastSeq = await tx.commit();
        if (lastSeq > 0) this.watcher.report(lastSeq);
        return value;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // The connection is gone (the server rolled back for us): do not return it to the pool.
          broken = rollbackError as Error;
        }
        throw e;
      }
    } catch (e) {
      if (!broken && isUnavailable(e)) broken = e as Error;
      throw e;
    } finally {
      release(broken);
    }
  }

  // ---- reads ----

  private async rows<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    if (this.closed) throw new StoreUnavailableError(new Error('store closed'));
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (e) {
      throw mapError(e);
    }
  }

  private async first<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R | null> {
    return (await this.rows<R>(sql, params))[0] ?? null;
  }

  private async headSeq(): Promise<number> {
    const row = await this.first<{ seq: number }>('SELECT seq FROM log_head WHERE id = 1', []);
    return row?.seq ?? 0;
  }

  async listConversations(opts?: { q?: string }): Promise<Conversation[]> {
    const q = opts?.q?.trim();
    if (!q)
      return (
        await this.rows<ConversationRow>('SELECT * FROM conversations ORDER BY updated_at DESC, id')
      ).map(toConversation);
    // ILIKE: SQLite's LIKE ignores ASCII case, and both stores must find the same conversations.
    const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.rows<ConversationRow>(
      `SELECT * FROM conversations WHERE title ILIKE $1
         OR id IN (SELECT conversation_id FROM messages WHERE content ILIKE $1)
       ORDER BY updated_at DESC, id`,
      [like],
    );
    return rows.map(toConversation);
  }

  async getConversation(id: string): Promise<Conversation | null> {
    const row = await this.first<ConversationRow>('SELECT * FROM conversations WHERE id = $1', [id]);
    return row ? toConversation(row) : null;
  }

  async listMessages(conversationId: string, page?: MessagePage): Promise<Message[]> {
    if (!page) {
      return (
        await this.rows<MessageRow>('SELECT * FROM messages WHERE conversation_id = $1 ORDER BY ord', [
          conversationId,
        ])
      ).map(toMessage);
    }
    const rows = page.before
      ? await this.rows<MessageRow>(
          `SELECT * FROM messages WHERE conversation_id = $1 AND ord < (SELECT ord FROM messages WHERE id = $2)
           ORDER BY ord DESC LIMIT $3`,
          [conversationId, page.before, page.limit],
        )
      : await this.rows<MessageRow>('SELECT * FROM messages WHERE conversation_id = $1 ORDER BY ord DESC LIMIT $2', [
          conversationId,
          page.limit,
        ]);
    return rows.reverse().map(toMessage);
  }

  async getMessage(id: string): Promise<Message | null> {
    const row = await this.first<MessageRow>('SELECT * FROM messages WHERE id = $1', [id]);
    return row ? toMessage(row) : null;
  }

  async getSession(id: string): Promise<Session | null> {
    const row = await this.first<SessionRow>('SELECT * FROM sessions WHERE id = $1', [id]);
    return row ? toSession(row) : null;
  }

  async latestSession(conversationId: string): Promise<Session | null> {
    const row = await this.first<SessionRow>(
      'SELECT * FROM sessions WHERE conversation_id = $1 ORDER BY ord DESC LIMIT 1',
      [conversationId],
    );
    return row ? toSession(row) : null;
  }

  async listSessions(conversationId: string, status?: SessionStatus): Promise<Session[]> {
    const rows = status
      ? await this.rows<SessionRow>(
          'SELECT * FROM sessions WHERE conversation_id = $1 AND status = $2 ORDER BY ord DESC',
          [conversationId, status],
        )
      : await this.rows<SessionRow>('SELECT * FROM sessions WHERE conversation_id = $1 ORDER BY ord DESC', [
          conversationId,
        ]);
    return rows.map(toSession);
  }

  async sessionsWithStatus(statuses: SessionStatus[]): Promise<Array<Session & { lease: Lease | null }>> {
    if (statuses.length === 0) return [];
    const rows = await this.rows<SessionRow & { lease_owner: string | null; lease_until: number | null }>(
      'SELECT * FROM sessions WHERE status = ANY($1::text[]) ORDER BY ord',
      [statuses],
    );
    return rows.map((r) => ({ ...toSession(r), lease: leaseOf(r) }));
  }

  async getPermission(sessionId: string, requestId: string): Promise<PermissionRequest | null> {
    const row = await this.first<PermissionRow>(
      'SELECT * FROM permissions WHERE session_id = $1 AND request_id = $2',
      [sessionId, requestId],
    );
    return row ? toPermission(row) : null;
  }

  async pendingPermissions(conversationId: string): Promise<PermissionRequest[]> {
    const rows = await this.rows<PermissionRow>(
      `SELECT * FROM permissions WHERE conversation_id = $1 AND status = 'pending' ORDER BY created_at, ord`,
      [conversationId],
    );
    return rows.map(toPermission);
  }

  async readEvents(q: EventQuery): Promise<StoredEvent[]> {
    const limit = Math.max(1, Math.min(q.limit, 10_000));
    const where = ['seq > $1'];
    const params: unknown[] = [q.after, limit];
    // Same precedence as SQLite: a session filter wins over a conversation filter.
    if (q.sessionId) {
      params.push(q.sessionId);
      where.push(`session_id = $${params.length}`);
    } else if (q.conversationId) {
      params.push(q.conversationId);
      where.push(`conversation_id = $${params.length}`);
    }
    if (q.lifecycleOnly) where.push('lifecycle');
    const rows = await this.rows<EventRow>(
      `SELECT seq, type, conversation_id, session_id, created_at, data FROM events
       WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $2`,
      params,
    );
    return rows.map(eventFromRow);
  }

  async lastSeq(conversationId?: string): Promise<number> {
    if (!conversationId) return this.headSeq();
    const row = await this.first<{ seq: number | null }>(
      'SELECT max(seq) AS seq FROM events WHERE conversation_id = $1',
      [conversationId],
    );
    return row?.seq ?? 0;
  }

  onAppend(listener: (lastSeq: number) => void): () => void {
    return this.watcher.on(listener);
  }

  async purgeIdempotency(olderThan: number): Promise<number> {
    if (this.closed) throw new StoreUnavailableError(new Error('store closed'));
    try {
      return (
        (await this.pool.query('DELETE FROM idempotency WHERE created_at < $1', [olderThan])).rowCount ?? 0
      );
    } catch (e) {
      throw mapError(e);
    }
  }

  async dumpTables() {
    // One snapshot for all three tables, so they agree with each other.
    if (this.closed) throw new StoreUnavailableError(new Error('store closed'));
    const { client, release } = await checkout(this.pool).catch((e) => {
      throw mapError(e);
    });
    let broken: Error | undefined;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const c = await client.query<ConversationRow>('SELECT * FROM conversations ORDER BY id');
      const m = await client.query<MessageRow>('SELECT * FROM messages ORDER BY ord');
      const s = await client.query<SessionRow>('SELECT * FROM sessions ORDER BY ord');
      await client.query('COMMIT');
      return {
        conversations: c.rows.map(toConversation),
        messages: m.rows.map(toMessage),
        sessions: s.rows.map(toSession),
      };
    } catch (e) {
      if (isUnavailable(e)) broken = e as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw mapError(e);
    } finally {
      release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let running transactions finish (their callers are waiting for an answer), then let go.
    await Promise.allSettled([...this.inFlight]);
    await this.watcher.close();
    await this.pool.end();
  }
}
