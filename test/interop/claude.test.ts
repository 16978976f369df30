import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFakeClaudeModel } from './fake-anthropic-script.ts';
import { interopSuite } from './suite.ts';

// Claude Code's ACP adapter (@agentclientprotocol/claude-agent-acp) against the fake Anthropic
// Messages endpoint on loopback. Its bugs and gmgui's defences: docs/agents.md.

interopSuite({
  id: 'claude',
  name: 'Claude Code',
  startModel: (rootDir) => startFakeClaudeModel(rootDir),
  env: async ({ model, home }) => {
    const configDir = join(home, '.claude');
    await mkdir(configDir, { recursive: true });
    // Without it the adapter starts in "auto" mode, where Claude decides permissions itself.
    await writeFile(
      join(configDir, 'settings.json'),
      JSON.stringify({ permissions: { defaultMode: 'default' } }),
    );
    return {
      ANTHROPIC_API_KEY: 'sk-test-fake',
      ANTHROPIC_BASE_URL: model.url,
      CLAUDE_CONFIG_DIR: configDir,
      // The adapter refuses to start a session as root unless told it is sandboxed.
      IS_SANDBOX: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    };
  },
  shell: { tool: 'Bash', args: (command) => ({ command, description: 'run it' }) },
});
