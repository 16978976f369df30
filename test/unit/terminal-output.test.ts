import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { keepTail } from '../../src/agents/terminals/output-tail.ts';
import { splitTerminalMeta } from '../../src/agents/update-mapper.ts';

// The pure parts of live command output (issue 11): the `_meta` terminal convention of Claude's and
// Codex's adapters turned into terminal events, and keeping the end of an output within a byte limit
// at a character boundary. The real commands and adapters: test/agents/terminals.test.ts and
// test/agents/claude.test.ts.

describe('the _meta terminal convention', () => {
  test("Claude's adapter: output, then exit with the status; the update keeps its other meta", () => {
    const out = splitTerminalMeta({
      sessionUpdate: 'tool_call_update',
      toolCallId: 'toolu_1',
      _meta: { terminal_output: { terminal_id: 'toolu_1', data: 'one\ntwo\n' } },
    });
    assert.deepEqual(out, {
      events: [{ type: 'terminal_output', terminalId: 'toolu_1', data: 'one\ntwo\n', toolCallId: 'toolu_1' }],
      update: null,
    });
    const exit = splitTerminalMeta({
      sessionUpdate: 'tool_call_update',
      toolCallId: 'toolu_1',
      status: 'completed',
      _meta: {
        claudeCode: { toolName: 'Bash' },
        terminal_exit: { terminal_id: 'toolu_1', exit_code: 2, signal: null },
      },
    });
    assert.deepEqual(exit.events, [
      { type: 'terminal_exit', terminalId: 'toolu_1', exitCode: 2, signal: null, toolCallId: 'toolu_1' },
    ]);
    assert.deepEqual(exit.update, {
      sessionUpdate: 'tool_call_update',
      toolCallId: 'toolu_1',
      status: 'completed',
      _meta: { claudeCode: { toolName: 'Bash' } },
    });
  });

  test('deltas without a terminal id belong to the tool call; other updates pass unchanged', () => {
    const delta = splitTerminalMeta({
      sessionUpdate: 'tool_call_update',
      toolCallId: 'call_9',
      _meta: { terminal_output_delta: { data: 'chunk' } },
    });
    assert.deepEqual(delta.events, [
      { type: 'terminal_output', terminalId: 'call_9', data: 'chunk', toolCallId: 'call_9' },
    ]);
    const plain = {
      sessionUpdate: 'tool_call',
      toolCallId: 'x',
      _meta: { terminal_info: { terminal_id: 'x' } },
    };
    assert.deepEqual(splitTerminalMeta(plain), { events: [], update: plain });
    assert.deepEqual(splitTerminalMeta('odd'), { events: [], update: 'odd' });
  });
});

describe('keeping the end of an output', () => {
  test('within the limit, starting on a whole character, always the true tail', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 0, max: 64 }), (text, limit) => {
        const { text: kept, cut } = keepTail(text, limit);
        const bytes = Buffer.byteLength(kept);
        assert.ok(bytes <= Math.max(limit, cut ? 0 : Buffer.byteLength(text)));
        assert.ok(Buffer.from(text).toString().endsWith(kept));
        assert.equal(cut, Buffer.byteLength(text) > limit);
        // Nothing more than one character's bytes was dropped beyond what the limit asked.
        if (cut) assert.ok(bytes > limit - 4);
      }),
      { numRuns: 2000 },
    );
    assert.deepEqual(keepTail('aé€', 3), { text: '€', cut: true });
  });
});
