import type { Conversation, Message, PermissionRequest, Session } from '../../domain/types.ts';
import type { Lease } from '../types.ts';

// Row <-> entity mapping for SQLite. JSON columns hold nested values; booleans are 0/1.

export interface ConversationRow {
  id: string;
  agent_id: string;
  title: string;
  cwd: string;
  status: string;
  version: number;
  settings: string;
  acp_session_id: string | null;
  created_at: number;
  updated_at: number;
}

export const toConversation = (r: ConversationRow): Conversation => ({
  id: r.id,
  agentId: r.agent_id,
  title: r.title,
  cwd: r.cwd,
  status: r.status as Conversation['status'],
  version: r.version,
  settings: JSON.parse(r.settings),
  acpSessionId: r.acp_session_id,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

export const conversationParams = (c: Conversation) => ({
  id: c.id,
  agent_id: c.agentId,
  title: c.title,
  cwd: c.cwd,
  status: c.status,
  version: c.version,
  settings: JSON.stringify(c.settings),
  acp_session_id: c.acpSessionId,
  created_at: c.created_at,
  updated_at: c.updated_at,
});

export interface MessageRow {
  id: string;
  conversation_id: string;
  role: string;
  content: string;
  session_id: string | null;
  folder_context: string | null;
  attachments: string | null;
  created_at: number;
}

export const toMessage = (r: MessageRow): Message => ({
  id: r.id,
  conversationId: r.conversation_id,
  role: r.role as Message['role'],
  content: JSON.parse(r.content),
  sessionId: r.session_id,
  ...(r.folder_context ? { folderContext: JSON.parse(r.folder_context) } : {}),
  ...(r.attachments ? { attachments: JSON.parse(r.attachments) } : {}),
  created_at: r.created_at,
});

export const messageParams = (m: Message) => ({
  id: m.id,
  conversation_id: m.conversationId,
  role: m.role,
  content: JSON.stringify(m.content),
  session_id: m.sessionId,
  folder_context: m.folderContext ? JSON.stringify(m.folderContext) : null,
  attachments: m.attachments ? JSON.stringify(m.attachments) : null,
  created_at: m.created_at,
});

export interface SessionRow {
  id: string;
  conversation_id: string;
  message_id: string;
  agent_id: string;
  status: string;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  response: string | null;
  error: string | null;
  error_code: string | null;
  stop_reason: string | null;
  retry_of: string | null;
  prompt_sent: number;
  lease_owner: string | null;
  lease_until: number | null;
}

export const toSession = (r: SessionRow): Session => ({
  id: r.id,
  conversationId: r.conversation_id,
  messageId: r.message_id,
  agentId: r.agent_id,
  status: r.status as Session['status'],
  created_at: r.created_at,
  started_at: r.started_at,
  completed_at: r.completed_at,
  response: r.response === null ? null : JSON.parse(r.response),
  error: r.error,
  ...(r.error_code ? { errorCode: r.error_code } : {}),
  stopReason: r.stop_reason,
  retryOf: r.retry_of,
  promptSent: r.prompt_sent === 1,
});

export const sessionParams = (s: Session) => ({
  id: s.id,
  conversation_id: s.conversationId,
  message_id: s.messageId,
  agent_id: s.agentId,
  status: s.status,
  created_at: s.created_at,
  started_at: s.started_at,
  completed_at: s.completed_at,
  response: s.response === null ? null : JSON.stringify(s.response),
  error: s.error,
  error_code: s.errorCode ?? null,
  stop_reason: s.stopReason,
  retry_of: s.retryOf,
  prompt_sent: s.promptSent ? 1 : 0,
});

export const leaseOf = (r: { lease_owner: string | null; lease_until: number | null }): Lease | null =>
  r.lease_owner && r.lease_until !== null ? { owner: r.lease_owner, until: r.lease_until } : null;

export interface PermissionRow {
  session_id: string;
  request_id: string;
  conversation_id: string;
  tool_call: string;
  options: string;
  status: string;
  option_id: string | null;
  created_at: number;
  resolved_at: number | null;
}

export const toPermission = (r: PermissionRow): PermissionRequest => ({
  sessionId: r.session_id,
  requestId: r.request_id,
  conversationId: r.conversation_id,
  toolCall: JSON.parse(r.tool_call),
  options: JSON.parse(r.options),
  status: r.status as PermissionRequest['status'],
  optionId: r.option_id,
  created_at: r.created_at,
  resolved_at: r.resolved_at,
});

export const permissionParams = (p: PermissionRequest) => ({
  session_id: p.sessionId,
  request_id: p.requestId,
  conversation_id: p.conversationId,
  tool_call: JSON.stringify(p.toolCall ?? null),
  options: JSON.stringify(p.options),
  status: p.status,
  option_id: p.optionId,
  created_at: p.created_at,
  resolved_at: p.resolved_at,
});

export type { EventRow } from '../event-row.ts';
