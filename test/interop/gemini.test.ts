import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Json, finished, newConversation, send } from '../agents/helpers.ts';
import { markedPids } from './agents.ts';
import { GEMINI_USAGE, startFakeGemini } from './fake-gemini.ts';
import { plainScript, toolScript } from './fake-model.ts';
import { type Interop, allowOnce, interopSuite } from './suite.ts';

// Gemini CLI (`gemini --acp`, @google/gemini-cli) against a fake Gemini API on loopback.
// Its bugs and gmgui's defences: docs/agents.md.

const TURN_MS = 120_000;

/** `write: <path> <content>` makes the model call write_file. */
const writeScript = toolScript('write', 'write_file', (rest) => {
  const [file_path, ...content] = rest.split(' ');
  return { file_path, content: `${content.join(' ')}\n` };
});

/**
 * One write_file turn; its permission request is allowed through the API when `asks` (Gemini asks
 * only once it has read the old content). Returns the finished session and the request.
 */
async function writeTurn(i: Interop, path: string, content: string, asks = true): Promise<Json> {
  i.model.script = writeScript;
  try {
    const conv = await i.conversationWithTurn();
    const session = await send(i.s, conv, `write: ${path} ${content}`);
    const ask = asks ? await allowOnce(i, session.id) : null;
    return { ...(await finished(i.s, session.id, TURN_MS)), ask };
  } finally {
    i.model.script = plainScript;
  }
}

interopSuite(
  {
    id: 'gemini',
    name: 'Gemini CLI',
    node: true,
    startModel: () => startFakeGemini(),
    env: async ({ model }) => ({
      GEMINI_API_KEY: 'fake-gemini-key',
      GOOGLE_GEMINI_BASE_URL: model.url,
      GEMINI_TELEMETRY_ENABLED: 'false',
      GEMINI_CLI_DISABLE_AUTO_UPDATE: 'true',
    }),
    shell: { tool: 'run_shell_command', args: (command) => ({ command, description: 'run it' }) },
  },
  (i) => {
    test('an existing file is rewritten through gmgui (fs/read_text_file, then fs/write_text_file)', async () => {
      const target = join(i.rootDir, 'notes.txt');
      writeFileSync(target, 'old words\n');
      const { session, ask } = await writeTurn(i, target, 'written by gemini');
      assert.equal(session.status, 'completed', session.error ?? '');
      assert.equal(readFileSync(target, 'utf8'), 'written by gemini\n');
      // The old content came from gmgui's fs/read_text_file: the approval shows it in its diff.
      assert.match(JSON.stringify(ask.toolCall.content), /old words/);
    });

    test("a path gmgui refuses (a FIFO, not a file) fails the tool with gmgui's reason; the turn ends", async () => {
      const fifo = join(i.rootDir, 'a-pipe');
      execFileSync('mkfifo', [fifo]);
      const { session } = await writeTurn(i, fifo, 'into a pipe', false);
      assert.equal(session.status, 'completed', session.error ?? '');
      const result = i.model.calls.at(-1)?.toolResults.join('\n') ?? '';
      assert.match(result, /Not a file/, `gmgui's refusal reached the model: ${result}`);
    });

    test('Gemini cannot create a new file through the client (its bug): the turn still completes', async () => {
      const target = join(i.rootDir, 'brand-new.txt');
      const { session, events } = await writeTurn(i, target, 'never written', false);
      assert.equal(session.status, 'completed', session.error ?? '');
      assert.equal(existsSync(target), false);
      const failed = events.find((e: Json) => e.type === 'tool_update' && e.status === 'failed');
      assert.match(JSON.stringify(failed?.content), /Error checking existing file: Resource not found/);
    });

    test("a turn's token usage is stored from Gemini's _meta.quota.token_count", {}, async () => {
      const conv = await newConversation(i.s, i.agentId);
      const { events } = await finished(i.s, (await send(i.s, conv.id, 'count my tokens')).id, TURN_MS);
      const usage = events.filter((e: Json) => e.type === 'usage');
      assert.ok(
        usage.some(
          (u: Json) =>
            u.inputTokens === GEMINI_USAGE.promptTokenCount &&
            u.outputTokens === GEMINI_USAGE.candidatesTokenCount,
        ),
        `usage stored: ${JSON.stringify(usage)}`,
      );
    });

    test('a graceful stop of gmgui ends all of Gemini (it relaunches itself as a child)', async () => {
      assert.ok(markedPids(i.mark).length >= 2, 'Gemini runs as a parent and a relaunched child');
      await i.s.stop();
      assert.deepEqual(markedPids(i.mark), [], 'no Gemini process outlives the server');
      await i.restart();
    });
  },
);
