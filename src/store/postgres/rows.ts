import type { Session } from '../../domain/types.ts';
import type { Lease } from '../types.ts';
import {
  type SessionRow as SqliteSessionRow,
  sessionParams,
  toSession as sqliteToSession,
} from '../sqlite/rows.ts';

// Row <-> entity mapping for PostgreSQL. Conversations, messages and permissions have the same columns
// and column types as in SQLite (BIGINT is read as a number, see pool-config.ts), so their mappers are
// shared (../sqlite/rows.ts is pure). Sessions differ: prompt_sent is a real BOOLEAN here.

export {
  type ConversationRow,
  conversationParams,
  type MessageRow,
  messageParams,
  type PermissionRow,
  permissionParams,
  toConversation,
  toMessage,
  toPermission,
} from '../sqlite/rows.ts';

export interface SessionRow extends Omit<SqliteSessionRow, 'prompt_sent'> {
  prompt_sent: boolean;
}

export const toSession = (r: SessionRow): Session =>
  sqliteToSession({ ...r, prompt_sent: r.prompt_sent ? 1 : 0 });

export const leaseOf = (r: { lease_owner: string | null; lease_until: number | null }): Lease | null =>
  r.lease_owner && r.lease_until !== null ? { owner: r.lease_owner, until: r.lease_until } : null;

/** The row a session is stored as, with the given lease. */
export function sessionRow(s: Session, lease: Lease | null): SessionRow {
  return {
    ...sessionParams(s),
    prompt_sent: s.promptSent,
    lease_owner: lease?.owner ?? null,
    lease_until: lease?.until ?? null,
  };
}

/** Column values in the order of SESSION_COLUMNS. */
export function sessionValues(s: Session): unknown[] {
  const p = sessionParams(s);
  return [
    p.id,
    p.conversation_id,
    p.message_id,
    p.agent_id,
    p.status,
    p.created_at,
    p.started_at,
    p.completed_at,
    p.response,
    p.error,
    p.stop_reason,
    p.retry_of,
    s.promptSent,
  ];
}

export const SESSION_COLUMNS =
  'id, conversation_id, message_id, agent_id, status, created_at, started_at, completed_at, response, error, ' +
  'stop_reason, retry_of, prompt_sent';

export { type EventRow, eventFromRow, splitEvent } from '../event-row.ts';
