import { AppError, notFound } from '../domain/errors.ts';
import {
  type Conversation,
  FINISHED_STATUSES,
  type PermissionOption,
  type PermissionRequest,
} from '../domain/types.ts';
import type { Tx } from '../store/types.ts';
import { recordConversationUpdated } from './record.ts';

// An agent's permission request is stored and waits for a person (DESIGN.md "known traps"): any
// client may answer it, once. "Allow always" is remembered per conversation; auto-approve is a
// per-conversation setting, off by default. Never "allow" on the user's behalf otherwise.

/** What "allow always" is remembered for: the tool's kind when it has a meaningful one, else its title. */
export function allowAlwaysKey(toolCall: unknown): string | null {
  const t = (toolCall ?? {}) as { kind?: unknown; title?: unknown };
  if (typeof t.kind === 'string' && t.kind && t.kind !== 'other') return `kind:${t.kind}`;
  if (typeof t.title === 'string' && t.title) return `title:${t.title}`;
  return null;
}

function autoAnswer(c: Conversation, toolCall: unknown, options: PermissionOption[]): string | null {
  const byKind = (kind: string) => options.find((o) => o.kind === kind)?.optionId ?? null;
  const key = allowAlwaysKey(toolCall);
  if (key && c.settings.allowAlways.includes(key)) return byKind('allow_always') ?? byKind('allow_once');
  if (c.settings.autoApprove) return byKind('allow_once') ?? byKind('allow_always');
  return null;
}

export interface PermissionAsk {
  requestId: string;
  sessionId: string;
  conversationId: string;
  toolCall: unknown;
  options: PermissionOption[];
}

/**
 * Stores the request and its `permission_requested` event. When the conversation's settings answer
 * it already (allow always, auto-approve), it is stored answered and the chosen option returned.
 */
export async function recordPermissionRequest(
  tx: Tx,
  ask: PermissionAsk,
): Promise<{ autoOptionId: string | null }> {
  const c = await tx.getConversation(ask.conversationId);
  const auto = c ? autoAnswer(c, ask.toolCall, ask.options) : null;
  const row: PermissionRequest = {
    ...ask,
    status: auto ? 'resolved' : 'pending',
    optionId: auto,
    created_at: tx.now,
    resolved_at: auto ? tx.now : null,
  };
  await tx.insertPermission(row);
  const ids = { conversationId: ask.conversationId, sessionId: ask.sessionId, requestId: ask.requestId };
  await tx.append({ type: 'permission_requested', ...ids, toolCall: ask.toolCall, options: ask.options });
  if (auto)
    await tx.append({
      type: 'permission_resolved',
      ...ids,
      optionId: auto,
      outcome: 'selected',
      automatic: true,
    });
  return { autoOptionId: auto };
}

/** A person's answer (POST /api/sessions/{id}/permissions/{requestId}). */
export async function resolvePermission(
  tx: Tx,
  o: { sessionId: string; requestId: string; optionId: string },
): Promise<PermissionRequest> {
  const session = await tx.getSession(o.sessionId);
  if (!session) throw notFound('Session');
  const p = await tx.getPermission(o.sessionId, o.requestId);
  if (!p) throw notFound('Permission request');
  if (p.status === 'pending' && FINISHED_STATUSES.includes(session.status)) {
    // The turn ended without closing it (e.g. the server died while it waited): nobody is asking.
    throw new AppError(
      409,
      'already_finished',
      `This turn already ended (${session.status}); the request can no longer be answered.`,
    );
  }
  if (p.status !== 'pending') {
    throw new AppError(
      409,
      'already_resolved',
      p.optionId
        ? `This permission request was already answered ("${p.optionId}").`
        : 'This permission request was already closed because the turn ended or was cancelled.',
    );
  }
  const option = p.options.find((x) => x.optionId === o.optionId);
  if (!option) {
    const offered = p.options.map((x) => `"${x.optionId}"`).join(', ');
    throw new AppError(
      400,
      'invalid_option',
      `"${o.optionId}" was not offered for this request; choose one of ${offered}.`,
    );
  }
  const resolved: PermissionRequest = {
    ...p,
    status: 'resolved',
    optionId: option.optionId,
    resolved_at: tx.now,
  };
  await tx.updatePermission(resolved);
  await tx.append({
    type: 'permission_resolved',
    conversationId: p.conversationId,
    sessionId: p.sessionId,
    requestId: p.requestId,
    optionId: option.optionId,
    outcome: 'selected',
  });
  if (option.kind === 'allow_always') await rememberAllowAlways(tx, p.conversationId, p.toolCall);
  return resolved;
}

async function rememberAllowAlways(tx: Tx, conversationId: string, toolCall: unknown): Promise<void> {
  const key = allowAlwaysKey(toolCall);
  const c = await tx.getConversation(conversationId);
  if (!key || !c || c.settings.allowAlways.includes(key)) return;
  await recordConversationUpdated(tx, {
    ...c,
    settings: { ...c.settings, allowAlways: [...c.settings.allowAlways, key] },
    version: c.version + 1,
    updated_at: Math.max(tx.now, c.updated_at),
  });
}

/** Answers every open request of a session `cancelled` (ACP requires it when a turn is cancelled). */
export async function cancelPendingPermissions(tx: Tx, sessionId: string): Promise<string[]> {
  const open = await tx.pendingPermissions(sessionId);
  for (const p of open) {
    await tx.updatePermission({ ...p, status: 'resolved', optionId: null, resolved_at: tx.now });
    await tx.append({
      type: 'permission_resolved',
      conversationId: p.conversationId,
      sessionId: p.sessionId,
      requestId: p.requestId,
      optionId: null,
      outcome: 'cancelled',
    });
  }
  return open.map((p) => p.requestId);
}
