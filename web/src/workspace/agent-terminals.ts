import type { ConversationView } from '../state/conversation';
import type { TerminalView } from '../state/session';

// The commands the agent ran in the open conversation, for the Terminal tab's read-only tabs: the
// turns the view holds in full (the live one and those opened), newest last.

export interface AgentTerminal {
  terminal: TerminalView;
  /** The tool call's title (usually the command), else the terminal id. */
  label: string;
}

export function agentTerminals(view: ConversationView | null): AgentTerminal[] {
  if (!view) return [];
  const out: AgentTerminal[] = [];
  for (const sid of view.sessionOrder) {
    const s = view.sessions[sid];
    if (!s) continue;
    for (const t of Object.values(s.terminals)) {
      const tool =
        (t.toolCallId ? s.tools[t.toolCallId] : undefined) ??
        Object.values(s.tools).find((x) =>
          x.content.some((c) => c.type === 'terminal' && c.terminalId === t.terminalId),
        );
      out.push({ terminal: t, label: tool?.title || t.terminalId });
    }
  }
  return out;
}
