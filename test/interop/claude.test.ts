import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Json, finished, newConversation, send, textOf } from '../agents/helpers.ts';
import { claudeOfflineEnv, startFakeClaudeModel } from './fake-anthropic-script.ts';
import { plainScript, shellScript } from './fake-model.ts';
import { allowOnce, interopSuite } from './suite.ts';

// Claude Code's ACP adapter (@agentclientprotocol/claude-agent-acp) against the fake Anthropic
// Messages endpoint on loopback. Its bugs and gmgui's defences: docs/agents.md.

const TURN_MS = 120_000;
/** Lines over time, written to a file too (so Claude Code asks first: it runs read-only commands unasked). */
const LINES_COMMAND = 'for i in 1 2 3; do echo line$i; sleep 0.3; done | tee lines.txt';
const LINES = 'line1\nline2\nline3';
const bash = (command: string) => ({ command, description: 'run it' });

interopSuite(
  {
    id: 'claude',
    name: 'Claude Code',
    startModel: (rootDir) => startFakeClaudeModel(rootDir),
    env: ({ model, home }) => claudeOfflineEnv(model.url, home),
    shell: { tool: 'Bash', args: bash },
  },
  (i) => {
    // Claude Code runs Bash itself: the adapter never calls terminal/create, whatever the client
    // offers. With `_meta.terminal_output` offered (gmgui does) it announces a display terminal on the
    // tool call (`_meta.terminal_info`, content `{type:"terminal"}`) and sends the output on a
    // tool_call_update of its own before the completing one; gmgui stores them as terminal events.
    // On ACP v1 the output comes whole, once the command ended (docs/agents.md says why).
    test("a Bash command's output is stored as terminal events before the tool completes", async () => {
      i.model.script = shellScript('Bash', bash);
      try {
        // A conversation of its own: the fake answers every request with the same message id, and
        // Claude Code merges the assistant messages that share one, putting an earlier tool call's
        // results and a later prompt in one user message (which the fake reads as a new prompt).
        const conv = await newConversation(i.s, i.agentId);
        const session = await send(i.s, conv.id, `run: ${LINES_COMMAND}`);
        const ask = await allowOnce(i, session.id);
        assert.match(JSON.stringify(ask.toolCall), /for i in 1 2 3/, 'the request shows the command');
        const { session: done, events } = await finished(i.s, session.id, TURN_MS);
        assert.equal(done.status, 'completed', done.error ?? '');
        assert.match(textOf(events), /Done: the tool ran\.$/);

        const call = events.find((e: Json) => e.type === 'tool_call' && e.kind === 'execute');
        assert.ok(call, `a Bash tool call: ${JSON.stringify(events.map((e: Json) => e.type))}`);
        const id = call.toolCallId;
        // The card names its terminal, so the output below can be shown in it.
        assert.deepEqual(
          (call.content as Json[]).filter((c) => c.type === 'terminal'),
          [{ type: 'terminal', terminalId: id }],
        );
        const out = events.filter((e: Json) => e.type === 'terminal_output' && e.terminalId === id);
        const exit = events.find((e: Json) => e.type === 'terminal_exit' && e.terminalId === id);
        const completed = events.find(
          (e: Json) => e.type === 'tool_update' && e.toolCallId === id && e.status === 'completed',
        );
        assert.ok(out.length > 0, `terminal output stored: ${JSON.stringify(events)}`.slice(0, 4000));
        assert.ok(exit && completed, JSON.stringify(events.map((e: Json) => e.type)));
        assert.ok(out.every((e: Json) => e.toolCallId === id));
        assert.equal(
          out
            .map((e: Json) => e.data)
            .join('')
            .trimEnd(),
          LINES,
          'the full output',
        );
        assert.equal(exit.exitCode, 0);
        // Stored before the tool's completion, and once: no tool_update carries it in its meta.
        assert.ok(out[0].seq < completed.seq, 'output stored before the tool completes');
        assert.ok(out.every((e: Json) => e.seq < exit.seq));
        assert.ok(!events.some((e: Json) => e.type === 'tool_update' && e.meta?.terminal_output));
        // Pinned: claude-agent-acp 0.101.0 sends the output in one piece after the command ended (the
        // Agent SDK reports no output while Bash runs). An adapter that streams breaks this: then
        // update docs/agents.md ("Claude Code") and make this assert that lines came apart.
        assert.equal(out[0].data.trimEnd(), LINES, 'the adapter sent the whole output at once');

        assert.equal((await readFile(join(i.rootDir, 'lines.txt'), 'utf8')).trimEnd(), LINES);
        assert.ok(
          i.model.calls.some((c) => c.toolResults.some((r) => r.includes('line3'))),
          'the output reached the model',
        );
      } finally {
        i.model.script = plainScript;
      }
    });
  },
);
