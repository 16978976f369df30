import { DEFAULT_SETTINGS, UNTITLED } from '../commands/conversations.ts';
import { newSession } from '../commands/messages.ts';
import {
  recordAnswer,
  recordConversationCreated,
  recordMessage,
  recordOutput,
  recordSessionCreated,
  recordSessionUpdated,
} from '../commands/record.ts';
import { AssistantAccumulator } from '../agents/assistant-blocks.ts';
import { newId } from '../domain/ids.ts';
import type { Conversation, ConversationSettings, Message, Session } from '../domain/types.ts';
import type { Tx } from '../store/types.ts';
import type { HistoryTurn } from './history.ts';

// Writing a history as a new conversation, inside ONE transaction (all or nothing: a reader sees the
// conversation with its whole history or nothing of it). Each turn is stored the way a live turn
// ends (src/commands/runner.ts finishTurn): the user message, its session, the answer's output events,
// `done`, the assistant message and the session `completed` with its events, so clients show an
// imported or forked history like any other (tool calls included) and the log rebuilds the tables.

/** Where the mapping agent session → conversation is kept while an import commits (a lock, see below). */
const IMPORT_SCOPE = 'agent-session-import';

async function recordTurn(tx: Tx, c: Conversation, turn: HistoryTurn): Promise<number> {
  const acc = new AssistantAccumulator();
  for (const e of turn.events) acc.add(e);
  if (!turn.user) {
    // Agent output before any user message: kept as an assistant message of no turn.
    if (acc.isEmpty) return 0;
    const m: Message = {
      id: newId('msg'),
      conversationId: c.id,
      role: 'assistant',
      content: { text: acc.text, blocks: acc.blocks },
      sessionId: null,
      created_at: tx.now,
    };
    await recordMessage(tx, m);
    return 1;
  }
  if (!turn.events.length) {
    // A question the agent never answered (a fork at a user message, an interrupted turn): the
    // message alone, not a finished turn with nothing in it.
    await recordMessage(tx, {
      id: newId('msg'),
      conversationId: c.id,
      role: 'user',
      sessionId: null,
      created_at: tx.now,
      ...turn.user,
    });
    return 1;
  }
  const messageId = newId('msg');
  const started: Session = {
    ...newSession(tx.now, { conversationId: c.id, messageId, agentId: c.agentId }),
    status: 'processing',
    started_at: tx.now,
    promptSent: true,
  };
  await recordMessage(tx, {
    id: messageId,
    conversationId: c.id,
    role: 'user',
    sessionId: started.id,
    created_at: tx.now,
    ...turn.user,
  });
  await recordSessionCreated(tx, started);
  const ids = { conversationId: c.id, sessionId: started.id };
  await recordOutput(tx, { ...ids, events: [...turn.events, { type: 'done', stopReason: 'end_turn' }] });
  const answer = acc.isEmpty
    ? undefined
    : await recordAnswer(tx, started, { text: acc.text, blocks: acc.blocks });
  const done: Session = {
    ...started,
    status: 'completed',
    completed_at: tx.now,
    stopReason: 'end_turn',
    response: answer ? { text: acc.text, messageId: answer.id } : null,
  };
  await recordSessionUpdated(tx, done, answer ? { message: answer } : {});
  return answer ? 2 : 1;
}

export interface NewHistoryConversation {
  agentId: string;
  cwd: string;
  title: string | null;
  /** The agent named it (its `session_info_update` or session list): its later titles may replace it. */
  titleFromAgent: boolean;
  acpSessionId: string | null;
  settings?: Partial<ConversationSettings>;
  turns: HistoryTurn[];
}

/** Creates the conversation and stores its history; returns it and how many messages were stored. */
export async function recordHistoryConversation(
  tx: Tx,
  input: NewHistoryConversation,
): Promise<{ conversation: Conversation; messages: number }> {
  const settings: ConversationSettings = { ...DEFAULT_SETTINGS, ...input.settings };
  if (input.title && input.titleFromAgent) settings.titleSource = 'agent';
  const conversation: Conversation = {
    id: newId('conv'),
    agentId: input.agentId,
    title: input.title?.trim().slice(0, 500) || UNTITLED,
    cwd: input.cwd,
    status: 'active',
    version: 1,
    settings,
    acpSessionId: input.acpSessionId,
    created_at: tx.now,
    updated_at: tx.now,
  };
  await recordConversationCreated(tx, conversation);
  let messages = 0;
  for (const t of input.turns) messages += await recordTurn(tx, conversation, t);
  return { conversation, messages };
}

/**
 * The conversation bound to this agent session, when one exists: the one an earlier import made (its
 * record, written in the import's transaction) or `known` (found by the caller among the
 * conversations, e.g. one gmgui started itself). Either must still exist and still be bound to it.
 */
async function boundConversation(
  tx: Tx,
  agentId: string,
  acpSessionId: string,
  known: string | null,
): Promise<Conversation | null> {
  const rec = await tx.getIdempotency(IMPORT_SCOPE, `${agentId}\n${acpSessionId}`);
  const recorded = rec ? (JSON.parse(rec.body) as { conversationId?: string }).conversationId : undefined;
  for (const id of [recorded, known]) {
    if (!id) continue;
    const c = await tx.getConversation(id);
    if (c && c.agentId === agentId && c.acpSessionId === acpSessionId) return c;
  }
  return null;
}

/**
 * Imports an agent session as a conversation, once: a second import of the same agent session
 * returns the conversation of the first (`created: false`). The import's record is a plain insert
 * under a fixed key, so two imports racing on PostgreSQL cannot both commit: the loser is re-run and
 * finds the winner's conversation. After the record expires (GMGUI_IDEMPOTENCY_TTL_MS) the caller
 * finds the conversation by its `acpSessionId` (`known`).
 */
export async function importHistory(
  tx: Tx,
  input: NewHistoryConversation & { acpSessionId: string; known: string | null },
): Promise<{ conversation: Conversation; messages: number; created: boolean }> {
  const existing = await boundConversation(tx, input.agentId, input.acpSessionId, input.known);
  if (existing) return { conversation: existing, messages: 0, created: false };
  const key = `${input.agentId}\n${input.acpSessionId}`;
  if (await tx.getIdempotency(IMPORT_SCOPE, key)) await tx.deleteIdempotency(IMPORT_SCOPE, key);
  const r = await recordHistoryConversation(tx, input);
  await tx.putIdempotency({
    scope: IMPORT_SCOPE,
    key,
    fingerprint: '',
    status: 201,
    body: JSON.stringify({ conversationId: r.conversation.id }),
    created_at: tx.now,
  });
  return { ...r, created: true };
}

/** Quick check outside a transaction, before an agent is started: already imported? */
export async function findBound(
  tx: Tx,
  agentId: string,
  acpSessionId: string,
  known: string | null,
): Promise<Conversation | null> {
  return boundConversation(tx, agentId, acpSessionId, known);
}
