import type { OutputEventBody } from '../domain/events.ts';
import type { Conversation, Message, Session } from '../domain/types.ts';
import type { Tx } from '../store/types.ts';
import { cancelPendingPermissions } from './permissions.ts';
import { recordAnswer, recordConversationUpdated, recordOutput, recordSessionUpdated } from './record.ts';

// The store transactions the runner needs (DESIGN.md point 3). Written against Tx so they run on
// every store. A runner holds a lease on the session it drives; every write it makes checks the
// lease first, so a runner that lost its claim (paused too long, another instance took over) can
// never add output to a turn that is no longer its own.

/** Agent output as the runner hands it over: the type and fields of one event (src/domain/events.ts). */
export type OutputEvent = OutputEventBody;

export class LeaseLost extends Error {
  constructor(sessionId: string) {
    super(`The lease on session ${sessionId} is no longer held by this runner.`);
    this.name = 'LeaseLost';
  }
}

export interface Claimed {
  session: Session;
  conversation: Conversation;
  message: Message | null;
}

/**
 * Claims the oldest session that may start now (the first unfinished one of its conversation),
 * skipping conversations this runner is already busy with. Marks it `processing` under a lease.
 */
export async function claimNextSession(
  tx: Tx,
  o: { owner: string; leaseMs: number; skipConversations: ReadonlySet<string>; scan?: number },
): Promise<Claimed | null> {
  const candidates = await tx.claimableSessions(o.scan ?? 50);
  for (const s of candidates) {
    if (o.skipConversations.has(s.conversationId)) continue;
    const lease = await tx.getLease(s.id);
    if (lease && lease.until >= tx.now && lease.owner !== o.owner) continue;
    const conversation = await tx.getConversation(s.conversationId);
    if (!conversation) continue;
    await tx.setLease(s.id, { owner: o.owner, until: tx.now + o.leaseMs });
    const session: Session = { ...s, status: 'processing', started_at: s.started_at ?? tx.now };
    await recordSessionUpdated(tx, session);
    return { session, conversation, message: await tx.getMessage(s.messageId) };
  }
  return null;
}

/** The session, if this runner still holds its lease and it is still running; else LeaseLost. */
async function requireLease(tx: Tx, sessionId: string, owner: string): Promise<Session> {
  const lease = await tx.getLease(sessionId);
  const s = await tx.getSession(sessionId);
  if (!s || !lease || lease.owner !== owner || (s.status !== 'processing' && s.status !== 'pending')) {
    throw new LeaseLost(sessionId);
  }
  return s;
}

export async function renewLease(
  tx: Tx,
  o: { sessionId: string; owner: string; leaseMs: number },
): Promise<void> {
  await requireLease(tx, o.sessionId, o.owner);
  await tx.setLease(o.sessionId, { owner: o.owner, until: tx.now + o.leaseMs });
}

/** Committed before the prompt goes out: after a crash such a turn is `interrupted`, never re-run. */
export async function markPromptSent(tx: Tx, o: { sessionId: string; owner: string }): Promise<Session> {
  const s = await requireLease(tx, o.sessionId, o.owner);
  const next: Session = { ...s, promptSent: true };
  await recordSessionUpdated(tx, next);
  return next;
}

/** Remembers the conversation's ACP session (the agent's context) so a restart can load it. */
export async function setAcpSessionId(
  tx: Tx,
  o: { conversationId: string; acpSessionId: string },
): Promise<void> {
  const c = await tx.getConversation(o.conversationId);
  if (!c || c.acpSessionId === o.acpSessionId) return;
  // Not user activity: updated_at (list order) stays; version grows because a field changed.
  await recordConversationUpdated(tx, { ...c, acpSessionId: o.acpSessionId, version: c.version + 1 });
}

/** One batch of agent output for a running turn, in arrival order. */
export async function appendAgentOutput(
  tx: Tx,
  o: { sessionId: string; owner: string; events: OutputEventBody[] },
): Promise<void> {
  if (o.events.length === 0) return;
  const s = await requireLease(tx, o.sessionId, o.owner);
  await recordOutput(tx, { conversationId: s.conversationId, sessionId: s.id, events: o.events });
}

/** Output that arrived while no turn was running (e.g. a commands list after the turn ended). */
export async function appendIdleOutput(
  tx: Tx,
  o: { conversationId: string; events: OutputEventBody[] },
): Promise<void> {
  if (!(await tx.getConversation(o.conversationId))) return;
  await recordOutput(tx, { conversationId: o.conversationId, sessionId: null, events: o.events });
}

export type TurnOutcome =
  | { kind: 'completed' | 'cancelled'; stopReason: string; text: string; blocks: unknown[] }
  | { kind: 'error'; error: string; errorCode?: string }
  | { kind: 'interrupted'; error: string };

/**
 * Ends a turn in one transaction: the last output, `done`, the assistant message (when there is an
 * answer) and the session's final state with its `session_updated` event. Pending permission
 * requests are answered `cancelled`. The lease is released.
 */
export async function finishTurn(
  tx: Tx,
  o: { sessionId: string; owner: string; events: OutputEventBody[]; outcome: TurnOutcome },
): Promise<Session> {
  const s = await requireLease(tx, o.sessionId, o.owner);
  const ids = { conversationId: s.conversationId, sessionId: s.id };
  await recordOutput(tx, { ...ids, events: o.events });
  await cancelPendingPermissions(tx, s.id);
  await tx.setLease(s.id, null);
  const out = o.outcome;
  if (out.kind === 'error' || out.kind === 'interrupted') {
    const code = out.kind === 'error' && out.errorCode ? { errorCode: out.errorCode } : {};
    await recordOutput(tx, { ...ids, events: [{ type: 'error', message: out.error, ...code }] });
    const next: Session = { ...s, status: out.kind, completed_at: tx.now, error: out.error, ...code };
    await recordSessionUpdated(tx, next, { error: out.error });
    return next;
  }
  await recordOutput(tx, { ...ids, events: [{ type: 'done', stopReason: out.stopReason }] });
  // A cancelled turn keeps what the agent had said so far; an empty cancelled turn adds no message.
  const message =
    out.kind === 'completed' || out.text || out.blocks.length
      ? await recordAnswer(tx, s, { text: out.text, blocks: out.blocks })
      : undefined;
  const next: Session = {
    ...s,
    status: out.kind,
    completed_at: tx.now,
    stopReason: out.stopReason,
    response: message ? { text: out.text, messageId: message.id } : null,
  };
  await recordSessionUpdated(tx, next, message ? { message } : {});
  return next;
}

/** The server is stopping before the prompt went out: the session goes back to the queue as is. */
export async function releaseSession(tx: Tx, o: { sessionId: string; owner: string }): Promise<void> {
  const s = await requireLease(tx, o.sessionId, o.owner);
  await tx.setLease(s.id, null);
  if (s.promptSent) return;
  await recordSessionUpdated(tx, { ...s, status: 'pending', started_at: null });
}
