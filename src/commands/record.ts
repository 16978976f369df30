import type { NewAppEvent, OutputEventBody } from '../domain/events.ts';
import { newId } from '../domain/ids.ts';
import type { Conversation, Message, PermissionRequest, Session } from '../domain/types.ts';
import type { Tx } from '../store/types.ts';

// The only way rows change and the only caller of `tx.append`. Each function writes the row and the
// event that lets the log rebuild it (src/domain/rebuild.ts); keeping the two side by side is what
// makes the audit trail true (docs/DESIGN.md "the log is the truth"). Events are typed by their
// schema (src/domain/events.ts), so a writer cannot leave out a field its readers rely on.

function emit(tx: Tx, e: NewAppEvent): Promise<void> {
  return tx.append(e);
}

export async function recordConversationCreated(tx: Tx, c: Conversation): Promise<void> {
  await tx.insertConversation(c);
  await emit(tx, { type: 'conversation_created', conversationId: c.id, conversation: c });
}

/** What a user asked the conversation's agent to switch to; the runner applies it (agent-settings.ts). */
export interface SettingsRequest {
  modeRequested?: string;
  configRequested?: { configId: string; value: string };
}

export async function recordConversationUpdated(
  tx: Tx,
  c: Conversation,
  request: SettingsRequest = {},
): Promise<void> {
  await tx.updateConversation(c);
  await emit(tx, { type: 'conversation_updated', conversationId: c.id, conversation: c, ...request });
}

/** The conversation with its messages, sessions and everything else of it. */
export async function recordConversationDeleted(tx: Tx, conversationId: string): Promise<void> {
  await tx.deleteConversation(conversationId);
  await emit(tx, { type: 'conversation_deleted', conversationId });
}

/** Stores a message and moves its conversation's `updated_at` to the message's time (list order). */
/** The assistant message a turn ended with (its text and blocks), recorded now. */
export async function recordAnswer(
  tx: Tx,
  session: { id: string; conversationId: string },
  content: { text: string; blocks: unknown[] },
): Promise<Message> {
  const message: Message = {
    id: newId('msg'),
    conversationId: session.conversationId,
    role: 'assistant',
    content,
    sessionId: session.id,
    created_at: tx.now,
  };
  await recordMessage(tx, message);
  return message;
}

export async function recordMessage(tx: Tx, m: Message, idempotencyKey?: string): Promise<void> {
  await tx.insertMessage(m);
  const c = await tx.getConversation(m.conversationId);
  // No conversation_updated: message_created implies this change (rebuild.ts applies it).
  if (c && c.updated_at < m.created_at) await tx.updateConversation({ ...c, updated_at: m.created_at });
  await emit(tx, {
    type: 'message_created',
    conversationId: m.conversationId,
    sessionId: m.sessionId,
    message: m,
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });
}

export async function recordSessionCreated(tx: Tx, s: Session): Promise<void> {
  await tx.insertSession(s);
  await emit(tx, { type: 'session_created', conversationId: s.conversationId, sessionId: s.id, session: s });
}

function sessionUpdated(s: Session, extra: { message?: Message; error?: string; cancelRequested?: true }) {
  return {
    type: 'session_updated' as const,
    conversationId: s.conversationId,
    sessionId: s.id,
    status: s.status,
    session: s,
    ...(extra.message ? { message: extra.message } : {}),
    ...(extra.error ? { error: extra.error } : {}),
    ...(extra.error && s.errorCode ? { errorCode: s.errorCode } : {}),
    ...(extra.cancelRequested ? { cancelRequested: true as const } : {}),
  };
}

/** Every change of a session row goes through here, with the full snapshot in the event. */
export async function recordSessionUpdated(
  tx: Tx,
  s: Session,
  extra: { message?: Message; error?: string } = {},
): Promise<void> {
  await tx.updateSession(s);
  await emit(tx, sessionUpdated(s, extra));
}

/** Stop was pressed on a running turn: the row stays, the event tells the runner holding it. */
export async function recordCancelRequested(tx: Tx, s: Session): Promise<void> {
  await emit(tx, sessionUpdated(s, { cancelRequested: true }));
}

/** Who answered a permission request, recorded in the thread (CONTRACT section 11). */
export interface PermissionDecision {
  decidedBy: 'user' | 'auto' | 'rule';
  /** The "always allow" rule that answered (decidedBy `rule`). */
  ruleId?: string;
  rule?: string;
}

function permissionResolved(p: PermissionRequest, decision: PermissionDecision | null): NewAppEvent {
  const option = p.options.find((o) => o.optionId === p.optionId);
  return {
    type: 'permission_resolved',
    conversationId: p.conversationId,
    sessionId: p.sessionId,
    requestId: p.requestId,
    optionId: p.optionId,
    outcome: p.optionId === null ? 'cancelled' : 'selected',
    ...(decision && decision.decidedBy !== 'user' ? { automatic: true as const } : {}),
    ...(decision ?? {}),
    ...(option ? { optionKind: option.kind, optionName: option.name } : {}),
  };
}

/** What a request asks, spelled out for the card (permission_requested `command`, `paths`). */
export interface PermissionAskDetail {
  command?: string;
  paths?: string[];
}

/** A new request; when the settings answered it already (status resolved), its automatic answer too. */
export async function recordPermissionRequested(
  tx: Tx,
  p: PermissionRequest,
  detail: PermissionAskDetail = {},
  decision: PermissionDecision | null = null,
): Promise<void> {
  await tx.insertPermission(p);
  await emit(tx, {
    type: 'permission_requested',
    conversationId: p.conversationId,
    sessionId: p.sessionId,
    requestId: p.requestId,
    toolCall: p.toolCall,
    options: p.options,
    ...(detail.command ? { command: detail.command } : {}),
    ...(detail.paths?.length ? { paths: detail.paths } : {}),
  });
  if (p.status === 'resolved') await emit(tx, permissionResolved(p, decision ?? { decidedBy: 'auto' }));
}

/** A request answered (`optionId`, by `decision`) or closed unanswered (`optionId` null: cancelled). */
export async function recordPermissionResolved(
  tx: Tx,
  p: PermissionRequest,
  decision: PermissionDecision | null = null,
): Promise<void> {
  await tx.updatePermission(p);
  await emit(tx, permissionResolved(p, decision));
}

/** Agent output (and a turn's closing `done`/`error`), in order; `sessionId` null outside a turn. */
export async function recordOutput(
  tx: Tx,
  o: { conversationId: string; sessionId: string | null; events: readonly OutputEventBody[] },
): Promise<void> {
  for (const e of o.events)
    await emit(tx, { ...e, conversationId: o.conversationId, sessionId: o.sessionId });
}

/** A conversation as an export file carries it (src/history/): its rows, and its log in order. */
export interface ImportedConversation {
  conversation: Conversation;
  messages: readonly Message[];
  sessions: readonly Session[];
  permissions: readonly PermissionRequest[];
  /** Every event, checked against its schema, with the time it was first written. */
  events: readonly { event: NewAppEvent; created_at: number }[];
}

/**
 * Recreates an exported conversation: the rows as its log rebuilds them (src/domain/rebuild.ts) and
 * the log itself, event for event with its original times, in the caller's one transaction. The rows
 * and the events are written side by side here, like every other change, so the log stays the truth.
 */
export async function recordImport(tx: Tx, c: ImportedConversation): Promise<void> {
  await tx.insertConversation(c.conversation);
  for (const m of c.messages) await tx.insertMessage(m);
  for (const s of c.sessions) await tx.insertSession(s);
  for (const p of c.permissions) await tx.insertPermission(p);
  for (const e of c.events) await tx.append(e.event, e.created_at);
}
