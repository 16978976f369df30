import type pg from 'pg';
import { StoreUnavailableError } from '../../domain/errors.ts';
import type {
  Conversation,
  Message,
  PermissionRequest,
  Session,
  SessionStatus,
  StoredEvent,
} from '../../domain/types.ts';
import {
  type DataPiece,
  type EventQuery,
  type Lease,
  type MessagePage,
  type RawEventRow,
  sessionJsonOf,
} from '../types.ts';
import { checkout } from './connection.ts';
import { isUnavailable, mapError } from './pg-errors.ts';
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

// The Store's reads on PostgreSQL: plain pooled queries outside any transaction (READ COMMITTED sees
// what has committed). They answer as SQLite's do (../sqlite/statements.ts): the same filters, the same
// sort keys ending in a unique one, the same search. A lost database, or a closed store, is a
// StoreUnavailableError (503).

/**
 * The searchable text of a message: the text itself, or an answer's `text` field; never its JSON (the keys
 * "text", "blocks", "role" must not match every conversation). Parsing TEXT as json fails on an escaped NUL
 * (\u0000 cannot become text): escaped backslashes are rewritten as \u005c first, so that every "\u0000"
 * left is a NUL escape, and those are dropped (SQLite's query does the same, ../sqlite/statements.ts).
 */
// (chr(92) is a backslash: no escaping rules, standard_conforming_strings or not, to get wrong.)
const MESSAGE_JSON = `replace(replace(content, chr(92) || chr(92), chr(92) || 'u005c'), chr(92) || 'u0000', '')::json`;
const MESSAGE_TEXT = `CASE WHEN left(content, 1) = '"' THEN (${MESSAGE_JSON}) #>> '{}'
  ELSE (${MESSAGE_JSON}) ->> 'text' END`;

/** ASCII letters folded to lower case, and only those, as SQLite's LIKE does ("C" collation). */
const fold = (sql: string) => `lower((${sql}) COLLATE "C")`;

const SEARCH = `
  SELECT * FROM conversations WHERE ${fold('title')} LIKE $1
    OR id IN (SELECT conversation_id FROM messages WHERE ${fold(MESSAGE_TEXT)} LIKE $1)
  ORDER BY updated_at DESC, id`;

export abstract class PgReads {
  protected closed = false;

  constructor(protected readonly pool: pg.Pool) {}

  protected async rows<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    if (this.closed) throw new StoreUnavailableError(new Error('store closed'));
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (e) {
      throw mapError(e);
    }
  }

  protected async first<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R | null> {
    return (await this.rows<R>(sql, params))[0] ?? null;
  }

  protected async headSeq(): Promise<number> {
    const row = await this.first<{ seq: number }>('SELECT seq FROM log_head WHERE id = 1', []);
    return row?.seq ?? 0;
  }

  async listConversations(opts?: { q?: string }): Promise<Conversation[]> {
    const q = opts?.q?.trim();
    if (!q) {
      return (
        await this.rows<ConversationRow>('SELECT * FROM conversations ORDER BY updated_at DESC, id')
      ).map(toConversation);
    }
    const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/[A-Z]/g, (c) => c.toLowerCase())}%`;
    return (await this.rows<ConversationRow>(SEARCH, [like])).map(toConversation);
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
      : await this.rows<MessageRow>(
          'SELECT * FROM messages WHERE conversation_id = $1 ORDER BY ord DESC LIMIT $2',
          [conversationId, page.limit],
        );
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

  async sessionJson(q: { id: string } | { latestOf: string }) {
    const row = await this.first<SessionRow>(
      'id' in q
        ? 'SELECT * FROM sessions WHERE id = $1'
        : 'SELECT * FROM sessions WHERE conversation_id = $1 ORDER BY ord DESC LIMIT 1',
      ['id' in q ? q.id : q.latestOf],
    );
    if (!row) return null;
    const session = toSession({ ...row, response: null });
    return { session, json: sessionJsonOf(session, row.response) };
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
    const rows = await this.rows<SessionRow>(
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
    const { where, params } = eventFilter(q, []);
    const rows = await this.rows<EventRow>(
      `SELECT seq, type, conversation_id, session_id, created_at, data FROM events
       WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $2`,
      params,
    );
    return rows.map(eventFromRow);
  }

  /** As SQLite's (raw-events.ts): `octet_length` of a TOASTed value does not fetch it. */
  async readEventRows(q: EventQuery, inlineMax: number): Promise<RawEventRow[]> {
    const { where, params } = eventFilter(q, [inlineMax]);
    return this.rows<RawEventRow>(
      `SELECT seq, type, conversation_id, session_id, created_at, octet_length(data) AS size,
         CASE WHEN octet_length(data) <= $3 THEN data END AS data
       FROM events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $2`,
      params,
    );
  }

  /** In characters (PostgreSQL's substring of text); the server slices, this process holds one piece. */
  async readEventData(seq: number, from: number, max: number): Promise<DataPiece | null> {
    const row = await this.first<{ piece: string }>(
      'SELECT substring(data from $2::int for $3::int) AS piece FROM events WHERE seq = $1',
      [seq, from + 1, max],
    );
    if (!row) return null;
    // Characters as PostgreSQL counts them: code points, so a surrogate pair is one.
    const chars = row.piece.length - (row.piece.match(/[\uD800-\uDBFF]/g)?.length ?? 0);
    return { piece: row.piece, next: from + chars, done: chars < max };
  }

  async lastSeq(conversationId?: string): Promise<number> {
    if (!conversationId) return this.headSeq();
    const row = await this.first<{ seq: number | null }>(
      'SELECT max(seq) AS seq FROM events WHERE conversation_id = $1',
      [conversationId],
    );
    return row?.seq ?? 0;
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
}

/**
 * The WHERE terms and parameters of an event query: $1 the cursor, $2 the limit, then `extra` ($3…),
 * then the filters. A session filter wins over a conversation filter (the same precedence as SQLite).
 */
function eventFilter(q: EventQuery, extra: unknown[]): { where: string[]; params: unknown[] } {
  const where = ['seq > $1'];
  const params: unknown[] = [q.after, Math.max(1, Math.min(q.limit, 10_000)), ...extra];
  if (q.sessionId) {
    params.push(q.sessionId);
    where.push(`session_id = $${params.length}`);
  } else if (q.conversationId) {
    params.push(q.conversationId);
    where.push(`conversation_id = $${params.length}`);
  }
  if (q.lifecycleOnly) where.push('lifecycle');
  return { where, params };
}
