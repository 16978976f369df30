import type { Conversation, PermissionRequest, Session } from '../../domain/types.ts';
import type { Lease } from '../types.ts';
import {
  conversationParams,
  permissionParams,
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
  leaseOf,
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

/** The row a session is stored as, with the given lease. */
export function sessionRow(s: Session, lease: Lease | null): SessionRow {
  return {
    ...sessionParams(s),
    prompt_sent: s.promptSent,
    lease_owner: lease?.owner ?? null,
    lease_until: lease?.until ?? null,
  };
}

// Column lists, and a row's values in the same order, for INSERT … VALUES ($1, …) and UPDATE … WHERE id = $1.

export const CONVERSATION_COLUMNS =
  'id, agent_id, title, cwd, status, version, settings, acp_session_id, created_at, updated_at';

export const SESSION_COLUMNS =
  'id, conversation_id, message_id, agent_id, status, created_at, started_at, completed_at, response, error, ' +
  'stop_reason, retry_of, prompt_sent, error_code';

export const PERMISSION_COLUMNS =
  'session_id, request_id, conversation_id, tool_call, options, status, option_id, created_at, resolved_at';

/** The values of `row` for each column of the list, in its order. */
function valuesOf(columns: string, row: Record<string, unknown>): unknown[] {
  return columns.split(',').map((c) => row[c.trim()]);
}

export const conversationValues = (c: Conversation) => valuesOf(CONVERSATION_COLUMNS, conversationParams(c));
export const sessionValues = (s: Session) =>
  valuesOf(SESSION_COLUMNS, { ...sessionParams(s), prompt_sent: s.promptSent });
export const permissionValues = (p: PermissionRequest) => valuesOf(PERMISSION_COLUMNS, permissionParams(p));

/** "$1, $2, …" for each column of a list. */
export function placeholders(columns: string): string {
  return columns
    .split(',')
    .map((_, i) => `$${i + 1}`)
    .join(', ');
}

export { type EventRow, eventFromRow, splitEvent } from '../event-row.ts';
