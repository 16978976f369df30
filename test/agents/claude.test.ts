import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { findExecutable } from '../../src/agents/registry.ts';
import { type Decide, startFakeAnthropic } from '../fixtures/agents/fake-anthropic.ts';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { useServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';
import { useResource } from '../helpers/use.ts';
import { answerPermission, type Json, eventOf, finished, newConversation, send, textOf } from './helpers.ts';

// Claude Code's ACP adapter (@zed-industries/claude-agent-acp) end to end, its model replaced by a
// fake Anthropic endpoint on loopback. The adapter is large and not a dependency of gmgui: the test
// runs when it is found (GMGUI_TEST_CLAUDE_ACP, node_modules/.bin, .tmp/claude, or PATH).

const ROOT = join(import.meta.dirname, '..', '..');

async function findAdapter(): Promise<string | null> {
  const candidates = [
    process.env.GMGUI_TEST_CLAUDE_ACP,
    join(ROOT, 'node_modules', '.bin', 'claude-agent-acp'),
    join(ROOT, '.tmp', 'claude', 'node_modules', '.bin', 'claude-agent-acp'),
  ];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return findExecutable('claude-agent-acp', process.env.PATH ?? '', process.cwd());
}

const adapter = await findAdapter();
if (!adapter) {
  if (process.env.GMGUI_REQUIRE_ALL === '1')
    throw new Error('claude-agent-acp is missing (npm ci installs it)');
  console.warn(
    '\n*** SKIPPING the Claude Code adapter test: claude-agent-acp is not installed (run npm ci). ***\n',
  );
}

/** The adapter against a fake model that answers with `decide` (default: the fake's own). */
function claudeServer(decide?: Decide) {
  const dir = tempDir('gmgui-claude-');
  const rootDir = tempDir('gmgui-claude-root-');
  const fake = useResource(
    'the fake Anthropic endpoint',
    () => startFakeAnthropic(rootDir, decide),
    (f) => f.close(),
  );
  const s = useServer(() => ({
    rootDir,
    env: withAgentsFile([
      {
        id: 'claude-code',
        name: 'Claude Code',
        command: adapter ?? 'claude-agent-acp',
        args: [],
        env: {
          ANTHROPIC_API_KEY: 'sk-test-fake',
          ANTHROPIC_BASE_URL: fake.url,
          HOME: dir,
          CLAUDE_CONFIG_DIR: join(dir, '.claude'),
          // The adapter refuses to start a session as root unless told it is sandboxed.
          IS_SANDBOX: '1',
          DISABLE_TELEMETRY: '1',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        },
      },
    ]),
  }));
  return { s, fake, rootDir };
}

/**
 * Sends `prompt` to Claude Code in a new conversation and waits for its permission request (the adapter
 * is slow to start); on a timeout the error shows the session as the server has it (`detail` characters).
 */
async function askedPermission(
  s: Parameters<typeof newConversation>[0],
  prompt: string,
  detail: number,
): Promise<{ session: Json; ask: Json }> {
  const conv = await newConversation(s, 'claude-code');
  const session = await send(s, conv.id, prompt);
  const ask = await eventOf(s, session.id, 'permission_requested', undefined, 90_000).catch(async (err) => {
    const r = await s.api('GET', `/api/sessions/${session.id}`);
    throw new Error(`${err.message}: ${JSON.stringify(r.body).slice(0, detail)}`);
  });
  return { session, ask };
}

describe('Claude Code adapter', { skip: adapter ? false : 'claude-agent-acp is not installed' }, () => {
  const { s, fake, rootDir } = claudeServer();

  test('a turn with a Write tool call, its permission answered, completes', async () => {
    const { session, ask } = await askedPermission(s, 'please write a file', 3_000);
    assert.equal(ask.toolCall.kind, 'edit');
    const allow = ask.options.find((o: Json) => o.kind === 'allow_once');
    const r = await answerPermission(s, ask, allow.optionId);
    assert.equal(r.status, 200);
    const { session: done, events } = await finished(s, session.id, 90_000);
    assert.equal(done.status, 'completed', done.error ?? '');
    assert.equal(textOf(events), 'I will write the file.Done: the file is written.');
    const late = events.find((e: Json) => e.type === 'tool_update' && e.rawInput?.file_path);
    assert.ok(late, 'the tool input arrived in a later tool_call_update');
    assert.equal(await readFile(join(rootDir, 'hello.txt'), 'utf8'), 'hello from claude\n');
    const agent = (await s.api('GET', '/api/agents')).body.agents.find((a: Json) => a.id === 'claude-code');
    assert.equal(agent.capabilities.loadSession, true);
    assert.ok(fake.requests.some((q) => q.path.startsWith('/v1/messages')));
  });
});

// A Bash tool call. Claude Code runs the command itself (the adapter never uses ACP client terminals,
// terminal/create); with `_meta.terminal_output` offered it reports the command's output and exit on
// tool call updates (`_meta.terminal_output`, `_meta.terminal_exit`), which become the same
// `terminal_output` / `terminal_exit` events as a client terminal's. The adapter sends the output
// once the command has finished, so it cannot stream live: that is the adapter's doing.
// It writes a file, so Claude Code asks first (it runs read-only commands like a bare echo unasked).
const BASH = 'echo one; sleep 0.3; echo two | tee two.txt';
const bashModel: Decide = (req) => {
  const last = req.messages?.filter((m) => m.role === 'user').at(-1);
  const blocks = (Array.isArray(last?.content) ? last.content : []) as Array<{ type: string; text?: string }>;
  if (blocks.some((b) => b.type === 'tool_result')) return { blocks: [{ type: 'text', text: 'Ran it.' }], stop: 'end_turn' };
  const text = typeof last?.content === 'string' ? last.content : blocks.map((b) => b.text ?? '').join('\n');
  if (!text.includes('run a command')) return { blocks: [{ type: 'text', text: 'Hello.' }], stop: 'end_turn' };
  return {
    blocks: [
      { type: 'text', text: 'Running it.' },
      { type: 'tool_use', id: 'toolu_bash_1', name: 'Bash', input: { command: BASH, description: 'Print two lines' } },
    ],
    stop: 'tool_use',
  };
};

describe('Claude Code adapter: a Bash command', { skip: adapter ? false : 'claude-agent-acp is not installed' }, () => {
  const { s } = claudeServer(bashModel);

  test('the permission card shows the command; its output and exit are terminal events', async () => {
    const { session, ask } = await askedPermission(s, 'please run a command', 6_000);
    assert.equal(ask.command, BASH, JSON.stringify(ask));
    const allow = ask.options.find((o: Json) => o.kind === 'allow_once');
    assert.equal((await answerPermission(s, ask, allow.optionId)).status, 200);
    const { session: done, events } = await finished(s, session.id, 90_000);
    assert.equal(done.status, 'completed', done.error ?? '');
    const resolved = events.find((e: Json) => e.type === 'permission_resolved');
    assert.equal(resolved.decidedBy, 'user');
    const out = events.filter((e: Json) => e.type === 'terminal_output');
    const exit = events.find((e: Json) => e.type === 'terminal_exit');
    assert.ok(out.length > 0 && exit, JSON.stringify(events.map((e: Json) => e.type)));
    assert.match(out.map((e: Json) => e.data).join(''), /one\s+two/);
    assert.equal(out[0].toolCallId, 'toolu_bash_1');
    assert.equal(out[0].terminalId, 'toolu_bash_1');
    assert.equal(exit.exitCode, 0);
    assert.ok(out.every((e: Json) => e.seq < exit.seq));
    // The output is stored once: the tool updates no longer carry it in their meta.
    assert.ok(!events.some((e: Json) => e.type === 'tool_update' && e.meta?.terminal_output));
  });
});
