import { describe, expect, it } from 'vitest';
import { addEvents, emptySession, TERMINAL_SHOWN, terminalsOf } from '../../web/src/state/session';
import type { GmEvent } from '../../web/src/types';
import { plainOutput } from '../../web/src/ui/terminal-output/ansi';

let seq = 0;
const ev = (e: Record<string, unknown>): GmEvent =>
  ({ seq: ++seq, sessionId: 's1', ...e }) as unknown as GmEvent;

describe('command output in a turn', () => {
  it('collects a terminal output live and its exit; ties it to the tool by content or by id', () => {
    let s = emptySession('s1');
    s = addEvents(s, [
      ev({
        type: 'tool_call',
        toolCallId: 't1',
        title: 'npm test',
        kind: 'execute',
        status: 'in_progress',
        content: [{ type: 'terminal', terminalId: 'term-a' }],
      }),
      ev({ type: 'terminal_output', terminalId: 'term-a', data: 'line1\n' }),
    ]);
    expect(s.terminals['term-a']?.output).toBe('line1\n');
    expect(s.terminals['term-a']?.exit).toBeNull();
    s = addEvents(s, [
      ev({ type: 'terminal_output', terminalId: 'term-a', data: 'line2\n' }),
      ev({ type: 'terminal_exit', terminalId: 'term-a', exitCode: 1, signal: null }),
      ev({ type: 'tool_call', toolCallId: 't2', title: 'ls', kind: 'execute', status: 'in_progress' }),
      ev({ type: 'terminal_output', terminalId: 'x', toolCallId: 't2', data: 'a b\n' }),
    ]);
    const t1 = s.tools.t1;
    const t2 = s.tools.t2;
    expect(t1 && terminalsOf(t1, s.terminals).map((t) => [t.output, t.exit?.exitCode])).toEqual([
      ['line1\nline2\n', 1],
    ]);
    expect(t2 && terminalsOf(t2, s.terminals).map((t) => t.output)).toEqual(['a b\n']);
  });

  it('keeps only the newest part of a huge output and says how much was cut', () => {
    let s = emptySession('s1');
    const big = 'x'.repeat(TERMINAL_SHOWN);
    s = addEvents(s, [
      ev({ type: 'terminal_output', terminalId: 'b', data: big }),
      ev({ type: 'terminal_output', terminalId: 'b', data: 'END' }),
    ]);
    expect(s.terminals.b?.output.length).toBe(TERMINAL_SHOWN);
    expect(s.terminals.b?.output.endsWith('END')).toBe(true);
    expect(s.terminals.b?.dropped).toBe(3);
  });

  it('shows colour and progress output as the text a terminal would end with', () => {
    expect(plainOutput('\u001b[31mred\u001b[0m ok\n')).toBe('red ok\n');
    expect(plainOutput('10%\r50%\r100%\ndone\r\n')).toBe('100%\ndone\n');
    expect(plainOutput('\u001b]0;title\u0007after')).toBe('after');
  });
});
