import { isDeepStrictEqual } from 'node:util';
import { valuesToApply } from '../agents/config-options.ts';
import { AppError, notFound } from '../domain/errors.ts';
import type { Conversation, SessionConfigInfo } from '../domain/types.ts';
import type { Tx } from '../store/types.ts';
import { recordConversationUpdated } from './record.ts';

// Agent configuration options (ACP session config options) of a conversation, handled like modes
// (runner-mode.ts): a user's choice is only recorded here; the runner holding the conversation's
// agent (in this process or another instance) reads the event and sends `session/set_config_option`,
// and a runner that opens the agent session later applies the remembered values.

/** The field a config request adds to its `conversation_updated` event: `{configId, value}`. */
export const CONFIG_REQUESTED = 'configRequested';

/** POST /api/conversations/{id}/config: records the user's choice for the runner to apply. */
export async function requestConfig(
  tx: Tx,
  conversationId: string,
  configId: string,
  value: string,
): Promise<Conversation> {
  const c = await tx.getConversation(conversationId);
  if (!c) throw notFound('Conversation');
  const offered = c.settings.configOptions;
  // Unknown (no agent has run yet): remembered, and checked once the agent says what it offers.
  if (offered) {
    const option = offered.find((o) => o.id === configId);
    if (!option) {
      const ids = offered.map((o) => `"${o.id}"`).join(', ') || 'none';
      throw new AppError(
        400,
        'unknown_config_option',
        `The agent does not offer the configuration option "${configId}"; it offers ${ids}.`,
      );
    }
    if (!option.values.includes(value)) {
      const values = option.values.map((v) => `"${v}"`).join(', ');
      throw new AppError(
        400,
        'invalid_config_value',
        `"${value}" is not a value of the option "${configId}"; choose one of ${values}.`,
      );
    }
  }
  if (c.settings.configValues?.[configId] === value) return c;
  const next: Conversation = {
    ...c,
    settings: { ...c.settings, configValues: { ...c.settings.configValues, [configId]: value } },
    version: c.version + 1,
    updated_at: Math.max(tx.now, c.updated_at),
  };
  await tx.updateConversation(next);
  await tx.append({
    type: 'conversation_updated',
    conversationId: c.id,
    conversation: next,
    [CONFIG_REQUESTED]: { configId, value },
  });
  return next;
}

/**
 * The agent's options as it opened the session (or, with `follow`, reported them later): remembered
 * in the settings. Returns the remembered values the runner must apply; remembered values this agent does
 * not accept are dropped. Not user activity (updated_at stays).
 */
export async function noteAgentConfig(
  tx: Tx,
  o: { conversationId: string; configOptions: SessionConfigInfo[]; follow?: boolean },
): Promise<Array<{ configId: string; value: string }>> {
  const c = await tx.getConversation(o.conversationId);
  if (!c) return [];
  const settings = { ...c.settings, configOptions: o.configOptions };
  const wanted = c.settings.configValues;
  if (wanted) {
    // A report after the session opened (`follow`): the remembered values follow the agent's, like
    // a mode it switched to by itself, so a new agent process later resumes with them.
    const kept: Record<string, string> = {};
    for (const [id, v] of Object.entries(wanted)) {
      const x = o.configOptions.find((opt) => opt.id === id);
      if (x && o.follow) kept[id] = x.currentValue;
      else if (x?.values.includes(v)) kept[id] = v;
    }
    if (Object.keys(kept).length) settings.configValues = kept;
    else delete settings.configValues;
  }
  const next: Conversation = { ...c, settings };
  if (!isDeepStrictEqual(next, c)) await recordConversationUpdated(tx, { ...next, version: c.version + 1 });
  return valuesToApply(o.configOptions, settings.configValues);
}
