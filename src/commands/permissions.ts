import { createHash } from 'node:crypto';
import { errors, notFound } from '../domain/errors.ts';
import {
  type Conversation,
  FINISHED_STATUSES,
  type PermissionOption,
  type PermissionRequest,
} from '../domain/types.ts';
import type { Tx } from '../store/types.ts';
import {
  type PermissionAskDetail,
  type PermissionDecision,
  recordConversationUpdated,
  recordPermissionRequested,
  recordPermissionResolved,
} from './record.ts';

// An agent's permission request is stored and waits for a person (DESIGN.md "known traps"): any
// client may answer it, once. "Allow always" is remembered per conversation as a rule (listed and
// revoked through GET/DELETE /api/permissions/rules); auto-approve is a per-conversation setting, off
// by default. Never "allow" on the user's behalf otherwise. Each answer records who decided.

/** What "allow always" is remembered for: the tool's kind when it has a meaningful one, else its title. */
export function allowAlwaysKey(toolCall: unknown): string | null {
  const t = (toolCall ?? {}) as { kind?: unknown; title?: unknown };
  if (typeof t.kind === 'string' && t.kind && t.kind !== 'other') return `kind:${t.kind}`;
  if (typeof t.title === 'string' && t.title) return `title:${t.title}`;
  return null;
}

/** A remembered "always allow" rule of one conversation, as GET /api/permissions/rules lists it. */
export interface PermissionRule {
  id: string;
  conversationId: string;
  conversationTitle: string;
  /** `kind:<tool kind>` or `title:<tool title>` (allowAlwaysKey). */
  key: string;
  /** In words: `Always allow edit tools`, `Always allow "Run tests"`. */
  label: string;
}

export function ruleId(conversationId: string, key: string): string {
  return `rule_${createHash('sha256').update(`${conversationId}\0${key}`).digest('hex').slice(0, 24)}`;
}

function ruleLabel(key: string): string {
  if (key.startsWith('kind:')) return `Always allow ${key.slice(5)} tools`;
  return `Always allow "${key.replace(/^title:/, '')}"`;
}

export function rulesOf(c: Conversation): PermissionRule[] {
  return c.settings.allowAlways.map((key) => ({
    id: ruleId(c.id, key),
    conversationId: c.id,
    conversationTitle: c.title,
    key,
    label: ruleLabel(key),
  }));
}

function autoAnswer(
  c: Conversation,
  toolCall: unknown,
  options: PermissionOption[],
): { optionId: string; decision: PermissionDecision } | null {
  const byKind = (kind: string) => options.find((o) => o.kind === kind)?.optionId ?? null;
  const key = allowAlwaysKey(toolCall);
  if (key && c.settings.allowAlways.includes(key)) {
    const optionId = byKind('allow_always') ?? byKind('allow_once');
    if (optionId) return { optionId, decision: { decidedBy: 'rule', ruleId: ruleId(c.id, key), rule: key } };
  }
  if (c.settings.autoApprove) {
    const optionId = byKind('allow_once') ?? byKind('allow_always');
    if (optionId) return { optionId, decision: { decidedBy: 'auto' } };
  }
  return null;
}

export interface PermissionAsk extends PermissionAskDetail {
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
  const { command, paths, ...fields } = ask;
  const row: PermissionRequest = {
    ...fields,
    status: auto ? 'resolved' : 'pending',
    optionId: auto?.optionId ?? null,
    created_at: tx.now,
    resolved_at: auto ? tx.now : null,
  };
  await recordPermissionRequested(tx, row, { command, paths }, auto?.decision ?? null);
  return { autoOptionId: auto?.optionId ?? null };
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
    throw errors.alreadyFinished(session.status, 'the request can no longer be answered');
  }
  if (p.status !== 'pending') {
    throw errors.alreadyResolved(p.optionId ?? undefined);
  }
  const option = p.options.find((x) => x.optionId === o.optionId);
  if (!option)
    throw errors.invalidOption(
      o.optionId,
      p.options.map((x) => x.optionId),
    );
  const resolved: PermissionRequest = {
    ...p,
    status: 'resolved',
    optionId: option.optionId,
    resolved_at: tx.now,
  };
  await recordPermissionResolved(tx, resolved, { decidedBy: 'user' });
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

/**
 * DELETE /api/permissions/rules/{id}: the rule is forgotten (its conversation's `allowAlways` loses
 * the key); later requests it would have answered wait for a person again. `candidates` are the
 * conversations to look in (all of them, read outside the transaction); 404 when none has the rule.
 */
export async function revokeRule(tx: Tx, id: string, candidates: readonly Conversation[]): Promise<Conversation> {
  for (const seen of candidates) {
    const key = seen.settings.allowAlways.find((k) => ruleId(seen.id, k) === id);
    if (!key) continue;
    // Read again under the transaction: the rule may be gone already.
    const c = await tx.getConversation(seen.id);
    if (!c?.settings.allowAlways.includes(key)) break;
    const next: Conversation = {
      ...c,
      settings: { ...c.settings, allowAlways: c.settings.allowAlways.filter((k) => k !== key) },
      version: c.version + 1,
      updated_at: Math.max(tx.now, c.updated_at),
    };
    await recordConversationUpdated(tx, next);
    return next;
  }
  throw notFound('Permission rule');
}

/** Answers every open request of a session `cancelled` (ACP requires it when a turn is cancelled). */
export async function cancelPendingPermissions(tx: Tx, sessionId: string): Promise<string[]> {
  const open = await tx.pendingPermissions(sessionId);
  for (const p of open) {
    await recordPermissionResolved(tx, { ...p, status: 'resolved', optionId: null, resolved_at: tx.now });
  }
  return open.map((p) => p.requestId);
}
