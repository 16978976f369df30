import { startFakeChat } from './fake-chat.ts';
import { interopSuite } from './suite.ts';

// OpenCode (`opencode acp`, opencode-ai) against a fake OpenAI-compatible chat completions endpoint on
// loopback, as a custom provider in its config. Its bugs and gmgui's defences: docs/agents.md.

interopSuite({
  id: 'opencode',
  name: 'OpenCode',
  startModel: () => startFakeChat(),
  env: async ({ model }) => ({
    OPENCODE_CONFIG_CONTENT: JSON.stringify({
      provider: {
        fake: {
          npm: '@ai-sdk/openai-compatible',
          name: 'Fake',
          options: { baseURL: `${model.url}/v1`, apiKey: 'sk-fake' },
          models: { 'fake-model': { name: 'Fake model', tool_call: true } },
        },
      },
      model: 'fake/fake-model',
      small_model: 'fake/fake-model',
      autoupdate: false,
      share: 'disabled',
      permission: { bash: 'ask', edit: 'ask' },
    }),
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
    OPENCODE_DISABLE_SHARE: '1',
    OPENCODE_DISABLE_CLAUDE_CODE: '1',
    OPENCODE_DISABLE_EXTERNAL_SKILLS: '1',
    OPENCODE_PURE: '1',
    // OpenCode installs @opencode-ai/plugin from npm into its config folder at every start, whatever
    // the settings: a registry on a closed loopback port makes that fail at once, offline.
    npm_config_registry: 'http://127.0.0.1:9/',
  }),
  shell: { tool: 'bash', args: (command) => ({ command, description: 'run it' }) },
});
