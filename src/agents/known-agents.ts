// Agents gmgui recognises on PATH, with the command line that starts each in ACP mode.
// The first binary found wins; `install` tells a user how to get it when none is found (the maintained
// adapters: @agentclientprotocol/claude-agent-acp and @agentclientprotocol/codex-acp; Gemini CLI speaks
// ACP itself with `--acp`).

export interface KnownAgent {
  id: string;
  name: string;
  binaries: string[];
  args: string[];
  install: string;
}

export const KNOWN_AGENTS: readonly KnownAgent[] = [
  {
    id: 'claude-code',
    name: 'Claude Code',
    binaries: ['claude-agent-acp', 'claude-code-acp'],
    args: [],
    install: 'npm install -g @agentclientprotocol/claude-agent-acp',
  },
  {
    id: 'gemini',
    name: 'Gemini CLI',
    binaries: ['gemini'],
    args: ['--acp'],
    install: 'npm install -g @google/gemini-cli (gmgui runs it as `gemini --acp`)',
  },
  {
    id: 'codex',
    name: 'Codex',
    binaries: ['codex-acp'],
    args: [],
    install: 'npm install -g @agentclientprotocol/codex-acp',
  },
  {
    id: 'opencode',
    name: 'OpenCode',
    binaries: ['opencode'],
    args: ['acp'],
    install: 'npm install -g opencode-ai',
  },
  {
    id: 'goose',
    name: 'Goose',
    binaries: ['goose'],
    args: ['acp'],
    install: 'See https://block.github.io/goose/',
  },
  {
    id: 'qwen',
    name: 'Qwen Code',
    binaries: ['qwen'],
    args: ['--acp'],
    install: 'npm install -g @qwen-code/qwen-code',
  },
];
