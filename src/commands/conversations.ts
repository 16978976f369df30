import { errors, notFound } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { Conversation, ConversationSettings, ConversationStatus } from '../domain/types.ts';
import type { Tx } from '../store/types.ts';
import { recordConversationCreated, recordConversationDeleted, recordConversationUpdated } from './record.ts';

export const DEFAULT_SETTINGS: ConversationSettings = { autoApprove: false, allowAlways: [] };
/** The title of a conversation created without one; the agent's reported title replaces it. */
export const UNTITLED = 'New conversation';

export async function createConversation(
  tx: Tx,
  input: { agentId: string; title?: string; cwd: string },
): Promise<Conversation> {
  const c: Conversation = {
    id: newId('conv'),
    agentId: input.agentId,
    title: input.title?.trim() || UNTITLED,
    cwd: input.cwd,
    status: 'active',
    version: 1,
    settings: { ...DEFAULT_SETTINGS },
    acpSessionId: null,
    created_at: tx.now,
    updated_at: tx.now,
  };
  await recordConversationCreated(tx, c);
  return c;
}

export interface ConversationPatch {
  title?: string;
  /** `prompt`: the title is an automatic one a client made from the first message. */
  titleSource?: 'prompt';
  status?: ConversationStatus;
  settings?: Partial<ConversationSettings>;
}

/** Applies a patch; `version` grows by one when anything actually changed. */
export async function updateConversation(
  tx: Tx,
  id: string,
  patch: ConversationPatch,
  ifMatch: number | null,
): Promise<Conversation> {
  const c = await tx.getConversation(id);
  if (!c) throw notFound('Conversation');
  if (ifMatch !== null && ifMatch !== c.version) {
    throw errors.versionMismatch(c.version, ifMatch);
  }
  const next: Conversation = {
    ...c,
    ...(patch.title !== undefined ? { title: patch.title.trim() || c.title } : {}),
    ...(patch.status !== undefined ? { status: patch.status } : {}),
    settings: { ...c.settings, ...patch.settings },
  };
  // A title a person gives is theirs: the agent's reported titles no longer replace it.
  if (next.title !== c.title) delete next.settings.titleSource;
  if (next.title !== c.title && patch.titleSource) next.settings.titleSource = patch.titleSource;
  const changed =
    next.title !== c.title ||
    next.status !== c.status ||
    JSON.stringify(next.settings) !== JSON.stringify(c.settings);
  if (!changed) return c;
  const updated = { ...next, version: c.version + 1, updated_at: Math.max(tx.now, c.updated_at) };
  await recordConversationUpdated(tx, updated);
  return updated;
}

export async function deleteConversation(tx: Tx, id: string): Promise<void> {
  const c = await tx.getConversation(id);
  if (!c) throw notFound('Conversation');
  await recordConversationDeleted(tx, id);
}
