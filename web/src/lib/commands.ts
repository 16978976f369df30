// Slash-command suggestions for the composer: which of the agent's commands match what is typed.
// Pure, so it is unit-tested.

import type { AgentCommand } from '../types';

const MAX = 8;

/** The command being typed (`/lo` → `lo`), or null when the text is not a command in the making. */
export function commandQuery(text: string): string | null {
  const m = /^\/(\S*)$/.exec(text);
  return m ? (m[1] as string).toLowerCase() : null;
}

/** Commands whose name starts with the query, then those that contain it; at most a handful. */
export function matchCommands(commands: readonly AgentCommand[], query: string): AgentCommand[] {
  const starts: AgentCommand[] = [];
  const contains: AgentCommand[] = [];
  for (const c of commands) {
    const name = c.name.toLowerCase();
    if (name.startsWith(query)) starts.push(c);
    else if (query && name.includes(query)) contains.push(c);
  }
  return [...starts, ...contains].slice(0, MAX);
}
