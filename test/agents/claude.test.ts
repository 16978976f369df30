import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findExecutable } from '../../src/agents/registry.ts';
import { type FakeAnthropic, startFakeAnthropic } from '../fixtures/agents/fake-anthropic.ts';
import { type TestServer, startServer } from '../helpers/server.ts';
import { type Json, eventOf, finished, newConversation, send, textOf, writeAgentsFile } from './helpers.ts';

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
  if (process.env.GMGUI_REQUIRE_ALL === '1') throw new Error('claude-agent-acp is missing (npm ci installs it)');
  console.warn('\n*** SKIPPING the Claude Code adapter test: claude-agent-acp is not installed (run npm ci). ***\n');
}

describe('Claude Code adapter', { skip: adapter ? false : 'claude-agent-acp is not installed' }, () => {
  let s: TestServer;
  let dir: string;
  let fake: FakeAnthropic;
  let rootDir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gmgui-claude-'));
    rootDir = await mkdtemp(join(tmpdir(), 'gmgui-claude-root-'));
    fake = await startFakeAnthropic(rootDir);
    const file = await writeAgentsFile(dir, [
      {
        id: 'claude-code',
        name: 'Claude Code',
        command: adapter,
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
    ]);
    s = await startServer({ rootDir, env: { GMGUI_AGENTS_FILE: file } });
  });

  after(async () => {
    await s?.stop();
    await s?.cleanup();
    await fake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a turn with a Write tool call, its permission answered, completes', async () => {
    const conv = await newConversation(s, 'claude-code');
    const session = await send(s, conv.id, 'please write a file');
    const ask = await eventOf(s, session.id, 'permission_requested', undefined, 90_000).catch(async (err) => {
      const r = await s.api('GET', `/api/sessions/${session.id}`);
      throw new Error(`${err.message}: ${JSON.stringify(r.body).slice(0, 3000)}`);
    });
    assert.equal(ask.toolCall.kind, 'edit');
    const allow = ask.options.find((o: Json) => o.kind === 'allow_once');
    const r = await s.api('POST', `/api/sessions/${session.id}/permissions/${ask.requestId}`, {
      optionId: allow.optionId,
    });
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
