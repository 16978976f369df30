import { isLifecycleType } from '../../domain/events.ts';
import type { Conversation, Message, NewEvent, PermissionRequest, Session } from '../../domain/types.ts';
import { splitEvent } from '../event-row.ts';
import type { IdempotencyRecord, Lease, Tx } from '../types.ts';
import {
  conversationParams,
  leaseOf,
  messageParams,
  permissionParams,
  sessionParams,
  toConversation,
  toMessage,
  toPermission,
  toSession,
} from './rows.ts';
import type { WriterStatements } from './statements.ts';

// One command's view of the SQLite store, inside the batch transaction of group-commit.ts. SQLite runs
// one writer at a time, so every read here already sees the latest rows: no locks are needed.

export class SqliteTx implements Tx {
  /** The newest seq this command appended (0: none), so the store wakes readers once the batch commits. */
  lastSeq = 0;

  constructor(
    private readonly w: WriterStatements,
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
  async countPendingSessions(conversationId: string, upTo: number) {
    return this.w.countPending.get(conversationId, upTo)?.n ?? 0;
  }
  async claimableSessions(limit: number) {
    return this.w.claimable.all(limit).map(toSession);
  }
  async getLease(sessionId: string): Promise<Lease | null> {
    const row = this.w.getLease.get(sessionId);
    return row ? leaseOf(row) : null;
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
  /** Not part of Tx: the store's purge, run as a command of a batch. */
  purgeIdempotency(olderThan: number): number {
    return this.w.purgeIdempotency.run(olderThan).changes;
  }
  async append(e: NewEvent, at?: number) {
    const { sessionId, data } = splitEvent(e);
    const info = this.w.append.run(
      e.type,
      e.conversationId,
      sessionId,
      isLifecycleType(e.type) ? 1 : 0,
      at ?? this.now,
      data,
    );
    this.lastSeq = Number(info.lastInsertRowid);
  }
}
