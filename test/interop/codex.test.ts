import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Json, finished, newConversation, send } from '../agents/helpers.ts';
import { plainScript, shellScript } from './fake-model.ts';
import { startFakeResponses } from './fake-responses.ts';
import { SHELL_COMMAND, allowOnce, interopSuite } from './suite.ts';

// Codex (@agentclientprotocol/codex-acp, which runs the codex binary from npm) against a fake OpenAI
// Responses API on loopback, as a custom model provider. Its bugs and gmgui's defences: docs/agents.md.

// The fake's model is unknown to Codex, so it warns at each session start: to a client that does not
// declare `session.notices` it sends the warning as the start of the answer's text. The plain turn's
// exact text pins gmgui's declaring it.

const TURN_MS = 120_000;

/** Writes Codex's configuration into its own CODEX_HOME under `home`; returns that folder. */
async function codexHome(home: string, name: string, toml: string): Promise<string> {
  const dir = join(home, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.toml'), toml);
  return dir;
}

const OFFLINE = `check_for_update_on_startup = false

[analytics]
enabled = false

[feedback]
enabled = false
`;

/** Codex's own configuration: the fake as a custom provider, nothing that phones home. */
function configToml(baseUrl: string): string {
  return `model = "fake-model"
model_provider = "fake"
approval_policy = "on-request"
approvals_reviewer = "user"

[model_providers.fake]
name = "Fake"
base_url = "${baseUrl}/v1"
env_key = "FAKE_OPENAI_KEY"
wire_api = "responses"

${OFFLINE}`;
}

/** The built-in `openai` provider, pointed at the fake: Codex then wants `authenticate` first. */
function builtinOpenAiToml(baseUrl: string): string {
  return `model = "gpt-6.1-sol"
openai_base_url = "${baseUrl}/v1"
approval_policy = "on-request"
approvals_reviewer = "user"
${OFFLINE}`;
}

interopSuite(
  {
    id: 'codex',
    name: 'Codex',
    startModel: () => startFakeResponses(),
    env: async ({ model, home }) => {
      return {
        CODEX_HOME: await codexHome(home, '.codex', configToml(model.url)),
        FAKE_OPENAI_KEY: 'sk-fake',
        // The adapter's default mode lets the model review its own escalations ("Auto review"); the
        // workspace mode asks the user, as gmgui's permission flow expects.
        INITIAL_AGENT_MODE: 'workspace-write',
        RUST_LOG: 'warn',
      };
    },
    variants: {
      'codex-openai': async ({ model, home }) => ({
        CODEX_HOME: await codexHome(home, '.codex-openai', builtinOpenAiToml(model.url)),
        OPENAI_API_KEY: 'sk-fake',
        INITIAL_AGENT_MODE: 'workspace-write',
      }),
    },
    shell: {
      tool: 'exec_command',
      // Escalated, so that Codex asks for a permission instead of running it in its sandbox.
      args: (cmd) => ({
        cmd,
        sandbox_permissions: 'require_escalated',
        justification: 'The test asks for it.',
      }),
    },
  },
  (i) => {
    test("a command's output, sent only as _meta.terminal_output_delta, is stored as live output", async () => {
      i.model.script = shellScript('exec_command', (cmd) => ({
        cmd,
        sandbox_permissions: 'require_escalated',
        justification: 'The test asks for it.',
      }));
      try {
        const session = await send(i.s, await i.conversationWithTurn(), `run: ${SHELL_COMMAND}`);
        await allowOnce(i, session.id);
        const { session: done, events } = await finished(i.s, session.id, TURN_MS);
        assert.equal(done.status, 'completed', done.error ?? '');
        const output = events
          .filter((e: Json) => e.type === 'terminal_output')
          .map((e: Json) => e.data ?? e.text);
        assert.match(output.join(''), /INTEROP-SHELL/, `terminal output stored: ${JSON.stringify(output)}`);
        assert.ok(events.some((e: Json) => e.type === 'terminal_exit' && e.exitCode === 0));
      } finally {
        i.model.script = plainScript;
      }
    });

    test('with the built-in openai provider Codex wants `authenticate`: the turn says so; sign-in through the API', async () => {
      const conv = await newConversation(i.s, 'codex-openai');
      const first = await finished(i.s, (await send(i.s, conv.id, 'hello openai')).id, TURN_MS);
      assert.equal(first.session.status, 'error');
      assert.equal(first.session.errorCode, 'auth_required', first.session.error ?? '');
      const r = await i.s.api('POST', '/api/agents/codex-openai/authenticate', { methodId: 'api-key' });
      assert.equal(r.status, 200, r.text);
      const retry = await i.s.api('POST', `/api/sessions/${first.session.id}/retry`);
      assert.equal(retry.status, 201, retry.text);
      const second = await finished(i.s, retry.body.session.id, TURN_MS);
      assert.equal(second.session.status, 'completed', second.session.error ?? '');
    });
  },
);
