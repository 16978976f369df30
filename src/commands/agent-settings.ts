import {
  type AgentModes,
  type SettingsCommand,
  type SettingsEvent,
  decide,
  evolve,
  isUserChoice,
  settingsOf,
  toApply,
  withSettings,
} from '../domain/agent-settings.ts';
import { notFound } from '../domain/errors.ts';
import type { AgentCommand, Conversation, SessionConfigInfo } from '../domain/types.ts';
import type { Tx } from '../store/types.ts';
import { UNTITLED } from './conversations.ts';
import { type SettingsRequest, recordConversationUpdated } from './record.ts';

// Agent modes and config options of a conversation, one path (the rules: src/domain/agent-settings.ts).
// Like cancel, a user's choice is only recorded here: the runner holding the conversation's agent (in
// this process or another instance) reads the `conversation_updated` event, and its `modeRequested` /
// `configRequested` field tells it to send `session/set_mode` / `session/set_config_option`. A runner
// that opens the agent session later applies the remembered choice. The agent's own reports are
// written back without that field: re-applying them would race with a user's newer choice.

/**
 * Runs one command against the conversation: one `conversation_updated` at most, version + 1. A user's
 * choice is activity (updated_at moves); what the agent or runner reports is not.
 */
async function run(
  tx: Tx,
  c: Conversation,
  command: SettingsCommand,
): Promise<{ conversation: Conversation; events: SettingsEvent[] }> {
  const state = settingsOf(c);
  const events = decide(command, state);
  if (events.length === 0) return { conversation: c, events };
  const user = events.some(isUserChoice);
  const next: Conversation = {
    ...withSettings(c, events.reduce(evolve, state)),
    version: c.version + 1,
    updated_at: user ? Math.max(tx.now, c.updated_at) : c.updated_at,
  };
  await recordConversationUpdated(tx, next, requestOf(events));
  return { conversation: next, events };
}

function requestOf(events: SettingsEvent[]): SettingsRequest {
  const r: SettingsRequest = {};
  for (const e of events) {
    if (e.type === 'mode_chosen') r.modeRequested = e.modeId;
    else if (e.type === 'config_chosen') r.configRequested = { configId: e.configId, value: e.value };
  }
  return r;
}

async function load(tx: Tx, conversationId: string): Promise<Conversation> {
  const c = await tx.getConversation(conversationId);
  if (!c) throw notFound('Conversation');
  return c;
}

/** POST /api/conversations/{id}/mode: records the user's choice for the runner to apply. */
export async function requestMode(tx: Tx, conversationId: string, modeId: string): Promise<Conversation> {
  const c = await load(tx, conversationId);
  return (await run(tx, c, { type: 'choose_mode', modeId })).conversation;
}

/** POST /api/conversations/{id}/config: records the user's choice for the runner to apply. */
export async function requestConfig(
  tx: Tx,
  conversationId: string,
  configId: string,
  value: string,
): Promise<Conversation> {
  const c = await load(tx, conversationId);
  return (await run(tx, c, { type: 'choose_config', configId, value })).conversation;
}

/**
 * A runner opened the conversation's ACP session: remembers its id and what the agent offers. Returns
 * what the runner must switch the new agent session to (the remembered mode and config values it
 * accepts). Nothing when the conversation is gone.
 */
export async function openAgentSession(
  tx: Tx,
  o: {
    conversationId: string;
    acpSessionId: string;
    modes: AgentModes | null;
    configOptions: SessionConfigInfo[];
  },
): Promise<ReturnType<typeof toApply>> {
  const c = await tx.getConversation(o.conversationId);
  if (!c) return { modeId: null, config: [] };
  const { conversation } = await run(tx, c, { type: 'open_session', ...o });
  return toApply(conversation.settings, o);
}

/** The agent reported (or a set_mode confirmed) its mode: the conversation follows. */
export async function noteAgentMode(tx: Tx, o: { conversationId: string; modeId: string }): Promise<void> {
  const c = await tx.getConversation(o.conversationId);
  if (c) await run(tx, c, { type: 'report_mode', modeId: o.modeId });
}

/** The agent reported its config options after the session opened: remembered values follow them. */
export async function noteAgentConfig(
  tx: Tx,
  o: { conversationId: string; configOptions: SessionConfigInfo[] },
): Promise<void> {
  const c = await tx.getConversation(o.conversationId);
  if (c) await run(tx, c, { type: 'report_config', configOptions: o.configOptions });
}

/** The agent said which commands it offers: remembered, so clients know them before a turn. */
export async function noteAgentCommands(
  tx: Tx,
  o: { conversationId: string; availableCommands: AgentCommand[] },
): Promise<void> {
  const c = await tx.getConversation(o.conversationId);
  if (c) await run(tx, c, { type: 'report_commands', availableCommands: o.availableCommands });
}

/** Longest title the agent may give; the API takes 500 characters from people. */
const MAX_AGENT_TITLE = 200;

/**
 * The agent reported a title (ACP `session_info_update`): it names a conversation that has none (the
 * default title) or whose title the agent gave before; a title a person chose is kept. Not activity:
 * `updated_at` stays. True when the title changed.
 */
export async function noteAgentTitle(
  tx: Tx,
  o: { conversationId: string; title: string },
): Promise<boolean> {
  const c = await tx.getConversation(o.conversationId);
  const title = o.title.replace(/\s+/g, ' ').trim().slice(0, MAX_AGENT_TITLE);
  if (!c || !title || title === c.title) return false;
  if (c.title !== UNTITLED && !c.settings.titleSource) return false;
  await recordConversationUpdated(tx, {
    ...c,
    title,
    settings: { ...c.settings, titleSource: 'agent' },
    version: c.version + 1,
  });
  return true;
}
