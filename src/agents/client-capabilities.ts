import type * as acp from '@agentclientprotocol/sdk';

// What gmgui tells an agent about itself in `initialize` (CONTRACT section 11).

export const CLIENT_INFO = { name: 'gmgui', version: '0.1.0' };

/**
 * What gmgui offers an agent: files and terminals in the conversation folder (client-handlers.ts);
 * terminal sign-in methods (shown to the user as a command to run); notices and compaction updates;
 * and, for Claude's and Codex's adapters, `_meta.terminal_output`, their way of reporting the output
 * of the shell commands they run themselves (update-mapper.ts splitTerminalMeta).
 */
export const CLIENT_CAPABILITIES = {
  fs: { readTextFile: true, writeTextFile: true },
  terminal: true,
  auth: { terminal: true },
  session: { notices: {}, compaction: {} },
  _meta: { terminal_output: true },
} satisfies acp.ClientCapabilities;
