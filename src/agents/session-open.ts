import type { toApply } from '../domain/agent-settings.ts';
import type { AgentHost, OpenedSession } from './acp-host.ts';

// Shared by a turn (turn.ts) and the opening of a session before the first message
// (session-opener.ts): what an opened session says as updates, and bringing a new agent session to
// the conversation's remembered mode and config values.

/** The modes and options the session opened with, as updates like the agent's own (`mode`, `config` events). */
export function openedUpdates(opened: OpenedSession): unknown[] {
  const updates: unknown[] = [];
  if (opened.modes) updates.push({ sessionUpdate: 'current_mode_update', ...opened.modes });
  if (opened.configOptions)
    updates.push({ sessionUpdate: 'config_option_update', configOptions: opened.configOptions });
  // The agent would not take its stored session back and a new one began (docs/agents.md): say so.
  if (opened.refused)
    updates.push({
      sessionUpdate: 'notice',
      severity: 'warning',
      title: 'The agent could not reload this conversation',
      description: `It refused ${opened.refused}, so a new agent session began: the agent does not remember the earlier messages of this conversation.`,
    });
  return updates;
}

/** Switches the agent to what the conversation wants and it is not in yet (refusals are logged). */
export async function applyWanted(host: AgentHost, wanted: ReturnType<typeof toApply>): Promise<void> {
  if (wanted.modeId) await host.setMode(wanted.modeId);
  for (const c of wanted.config) await host.setConfigOption(c.configId, c.value);
}
