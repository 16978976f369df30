import { isDeepStrictEqual } from 'node:util';
import { AppError, notFound } from '../domain/errors.ts';
import type { Conversation, ConversationSettings, SessionModeInfo } from '../domain/types.ts';
import type { Tx } from '../store/types.ts';
import { recordConversationUpdated } from './record.ts';

// Agent modes (ACP session modes) of a conversation. Like cancel, a user's choice is only recorded
// here: the runner holding the conversation's agent (in this process or another instance) reads the
// event and sends `session/set_mode`; a runner that opens the agent session later applies the
// remembered choice. The conversation's settings keep the mode it is in and what the agent offered.

/** The field a mode request adds to its `conversation_updated` event; runners act only on these. */
export const MODE_REQUESTED = 'modeRequested';

export interface OfferedModes {
  currentModeId: string;
  availableModes: SessionModeInfo[];
}

/** POST /api/conversations/{id}/mode: records the user's choice for the runner to apply. */
export async function requestMode(tx: Tx, conversationId: string, modeId: string): Promise<Conversation> {
  const c = await tx.getConversation(conversationId);
  if (!c) throw notFound('Conversation');
  const offered = c.settings.availableModes;
  // Unknown (no agent has run yet): remembered, and checked once the agent says what it offers.
  if (offered && offered.length === 0) {
    throw new AppError(400, 'no_modes', 'The agent of this conversation offers no modes.');
  }
  if (offered && !offered.some((m) => m.id === modeId)) {
    const ids = offered.map((m) => `"${m.id}"`).join(', ');
    throw new AppError(
      400,
      'unknown_mode',
      `The agent does not offer the mode "${modeId}"; choose one of ${ids}.`,
    );
  }
  if (c.settings.modeId === modeId) return c;
  const next: Conversation = {
    ...c,
    settings: { ...c.settings, modeId },
    version: c.version + 1,
    updated_at: Math.max(tx.now, c.updated_at),
  };
  // recordConversationUpdated's row and event, plus the marker: runners apply only what a user asked
  // for, never the agent's own mode reports written back below (re-applying those would race with a
  // user's newer choice).
  await tx.updateConversation(next);
  await tx.append({
    type: 'conversation_updated',
    conversationId: c.id,
    conversation: next,
    [MODE_REQUESTED]: modeId,
  });
  return next;
}

/**
 * A runner opened the conversation's ACP session: remembers its id and the modes the agent offers.
 * Returns the remembered mode the runner must switch the agent to, or null. A remembered mode this
 * agent does not offer is dropped for the agent's own. One conversation update at most, and not
 * user activity (updated_at stays).
 */
export async function recordAgentSession(
  tx: Tx,
  o: { conversationId: string; acpSessionId: string; modes: OfferedModes | null },
): Promise<string | null> {
  const c = await tx.getConversation(o.conversationId);
  if (!c) return null;
  const { modes } = o;
  const wanted = c.settings.modeId;
  const settings: ConversationSettings = { ...c.settings, availableModes: modes?.availableModes ?? [] };
  let apply: string | null = null;
  if (!modes) delete settings.modeId;
  else if (wanted !== undefined && modes.availableModes.some((m) => m.id === wanted)) {
    if (wanted !== modes.currentModeId) apply = wanted;
  } else settings.modeId = modes.currentModeId;
  const next: Conversation = { ...c, acpSessionId: o.acpSessionId, settings };
  if (!isDeepStrictEqual(next, c)) await recordConversationUpdated(tx, { ...next, version: c.version + 1 });
  return apply;
}

/** The agent reported (or a set_mode confirmed) its mode: the conversation follows, so a new agent process later resumes in it. */
export async function noteAgentMode(tx: Tx, o: { conversationId: string; modeId: string }): Promise<void> {
  const c = await tx.getConversation(o.conversationId);
  if (!c || c.settings.modeId === o.modeId) return;
  await recordConversationUpdated(tx, {
    ...c,
    settings: { ...c.settings, modeId: o.modeId },
    version: c.version + 1,
  });
}
