import { EventEmitter } from 'node:events';
import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '../../domain/errors.ts';
import type {
  Conversation,
  Message,
  PermissionRequest,
  Session,
  SessionStatus,
  StoredEvent,
} from '../../domain/types.ts';
import { type EventRow, eventFromRow } from '../event-row.ts';
import {
  type DataPiece,
  type EventQuery,
  type Lease,
  type MessagePage,
  type RawEventRow,
  type Store,
  sessionJsonOf,
  type Tx,
} from '../types.ts';
import { GroupCommit } from './group-commit.ts';
import { openReader, openWriter } from './open-db.ts';
import { RawEvents } from './raw-events.ts';
import { leaseOf, type SessionRow, toConversation, toMessage, toPermission, toSession } from './rows.ts';
import { mapSqliteError } from './sqlite-errors.ts';
import { SqliteTx } from './sqlite-tx.ts';
import { prepareReader, prepareWriter, type ReaderStatements } from './statements.ts';

// The Store on one SQLite file, for one server process.
//
// Durability: WAL with synchronous=FULL. Every COMMIT fsyncs the WAL before the promise resolves, so an
// acknowledged write survives kill -9 *and* power loss (as far as the disk honours fsync). NORMAL would
// only survive process crashes; group commit (group-commit.ts) makes FULL cheap enough that we need not
// choose. Writes go through one connection; reads use a second one, so a reader never sees a batch before
// it has committed. Opening (checks, file modes, migrations) is open-db.ts.

export interface SqliteStoreOptions {
  /** Path of the database file. */
  file: string;
  /** 'FULL' (default) or 'NORMAL'; benchmarks compare both against raw SQLite at the same level. */
  synchronous?: 'FULL' | 'NORMAL';
}

/** Opens (creating when missing) the store; a StartupError when the file is damaged or cannot be written. */
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
  private readonly commits: GroupCommit<SqliteTx>;
  private readonly reads: ReaderStatements;
  private readonly raw: RawEvents;
  private closed = false;

  constructor(opts: SqliteStoreOptions) {
    this.db = openWriter(opts.file, opts.synchronous ?? 'FULL');
    try {
      this.rdb = openReader(opts.file);
    } catch (e) {
      this.db.close();
      throw e;
    }
    this.emitter.setMaxListeners(0);
    const writer = prepareWriter(this.db);
    this.commits = new GroupCommit({
      db: this.db,
      newTx: (now) => new SqliteTx(writer, now),
      onCommit: (lastSeq) => this.emitter.emit('append', lastSeq),
    });
    this.reads = prepareReader(this.rdb);
    this.raw = new RawEvents(this.rdb, opts.file);
  }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.write(fn);
  }

  private write<T>(fn: (tx: SqliteTx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError(new Error('store closed')));
    return this.commits.run(fn);
  }

  /**
   * Every read goes through here: after close() it is a StoreUnavailableError (503), as on PostgreSQL,
   * not the driver's "connection is not open"; a busy or failing disk is one too.
   */
  private read<T>(fn: (r: ReaderStatements) => T): T {
    if (this.closed) throw new StoreUnavailableError(new Error('store closed'));
    try {
      return fn(this.reads);
    } catch (e) {
      throw mapSqliteError(e);
    }
  }

  async listConversations(opts?: { q?: string }): Promise<Conversation[]> {
    const q = opts?.q?.trim();
    if (!q) return this.read((r) => r.listConversations.all()).map(toConversation);
    const like = `%${escapeLike(q)}%`;
    return this.read((r) => r.searchConversations.all(like, like)).map(toConversation);
  }

  async getConversation(id: string): Promise<Conversation | null> {
    const row = this.read((r) => r.getConversation.get(id));
    return row ? toConversation(row) : null;
  }

  async listMessages(conversationId: string, page?: MessagePage): Promise<Message[]> {
    if (!page) return this.read((r) => r.listMessages.all(conversationId)).map(toMessage);
    const rows = this.read((r) =>
      page.before
        ? r.lastMessagesBefore.all(conversationId, page.before, page.limit)
        : r.lastMessages.all(conversationId, page.limit),
    );
    return rows.reverse().map(toMessage);
  }

  async getMessage(id: string): Promise<Message | null> {
    const row = this.read((r) => r.getMessage.get(id));
    return row ? toMessage(row) : null;
  }

  async getSession(id: string): Promise<Session | null> {
    const row = this.read((r) => r.getSession.get(id));
    return row ? toSession(row) : null;
  }

  async latestSession(conversationId: string): Promise<Session | null> {
    const row = this.read((r) => r.latestSession.get(conversationId));
    return row ? toSession(row) : null;
  }

  async listSessions(conversationId: string, status?: SessionStatus): Promise<Session[]> {
    const rows = this.read((r) =>
      status ? r.listSessionsByStatus.all(conversationId, status) : r.listSessions.all(conversationId),
    );
    return rows.map(toSession);
  }

  async sessionsWithStatus(statuses: SessionStatus[]): Promise<Array<Session & { lease: Lease | null }>> {
    if (statuses.length === 0) return [];
    // Only unfinished ones (the common case: recovery, lease checks): say so literally, so the partial
    // index is used instead of a scan of every session ever run.
    const unfinishedOnly = statuses.every((s) => s === 'pending' || s === 'processing');
    const sql = `SELECT * FROM sessions WHERE ${unfinishedOnly ? "status IN ('pending', 'processing') AND " : ''}status IN (${statuses.map(() => '?').join(',')}) ORDER BY ord`;
    const rows = this.read(() => this.rdb.prepare<string[], SessionRow>(sql).all(...statuses));
    return rows.map((r) => ({ ...toSession(r), lease: leaseOf(r) }));
  }

  async getPermission(sessionId: string, requestId: string): Promise<PermissionRequest | null> {
    const row = this.read((r) => r.getPermission.get(sessionId, requestId));
    return row ? toPermission(row) : null;
  }

  async pendingPermissions(conversationId: string): Promise<PermissionRequest[]> {
    return this.read((r) => r.pendingPermissions.all(conversationId)).map(toPermission);
  }

  async readEvents(q: EventQuery): Promise<StoredEvent[]> {
    const limit = Math.max(1, Math.min(q.limit, 10_000));
    // A session filter wins over a conversation filter (the same precedence as PostgreSQL).
    const rows = this.read((r): EventRow[] => {
      if (q.sessionId) {
        const s = q.lifecycleOnly ? r.eventsSessionLifecycle : r.eventsSession;
        return s.all(q.sessionId, q.after, limit);
      }
      if (q.conversationId) {
        const s = q.lifecycleOnly ? r.eventsConversationLifecycle : r.eventsConversation;
        return s.all(q.conversationId, q.after, limit);
      }
      return (q.lifecycleOnly ? r.eventsLifecycle : r.eventsAll).all(q.after, limit);
    });
    return rows.map(eventFromRow);
  }

  async sessionJson(q: { id: string } | { latestOf: string }) {
    const row = this.read((r) => ('id' in q ? r.getSession.get(q.id) : r.latestSession.get(q.latestOf)));
    if (!row) return null;
    const session = toSession({ ...row, response: null });
    return { session, json: sessionJsonOf(session, row.response) };
  }

  async readEventRows(q: EventQuery, inlineMax: number): Promise<RawEventRow[]> {
    return this.read(() => this.raw.rows(q, inlineMax));
  }

  async readEventData(seq: number, from: number, max: number): Promise<DataPiece | null> {
    if (this.closed) throw new StoreUnavailableError(new Error('store closed'));
    return this.raw.data(seq, from, max);
  }

  async lastSeq(conversationId?: string): Promise<number> {
    const row = this.read((r) =>
      conversationId ? r.lastSeqConversation.get(conversationId) : r.lastSeq.get(),
    );
    return row?.seq ?? 0;
  }

  onAppend(listener: (lastSeq: number) => void): () => void {
    this.emitter.on('append', listener);
    return () => this.emitter.off('append', listener);
  }

  async purgeIdempotency(olderThan: number): Promise<number> {
    // A write like any other, so it joins a batch instead of taking the writer between two.
    return this.write(async (tx) => tx.purgeIdempotency(olderThan));
  }

  async dumpTables() {
    // Synchronous back to back: no commit of this process can come between the three reads.
    return this.read((r) => ({
      conversations: r.allConversations.all().map(toConversation),
      messages: r.allMessages.all().map(toMessage),
      sessions: r.allSessions.all().map(toSession),
    }));
  }

  /** PRAGMA integrity_check, for tests and `gmgui doctor`. */
  integrityCheck(): string {
    return this.read(() => this.rdb.pragma('integrity_check', { simple: true }) as string);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.commits.settled();
    this.emitter.removeAllListeners();
    await this.raw.close();
    this.rdb.close();
    this.db.close();
  }
}
