import { useLayoutEffect, useMemo, useRef } from 'preact/hooks';
import type { TerminalView } from '../../state/session';
import { plainOutput } from './ansi';
import './terminal-output.css';

// The output of a command the agent runs, inside its tool card, growing live as the command prints
// (terminal_output events), then its exit. Read-only: the agent owns that process.

function exitLabel(t: TerminalView): string {
  if (!t.exit) return 'running…';
  if (t.exit.signal) return `killed by ${t.exit.signal}`;
  return t.exit.exitCode === null ? 'ended' : `exit ${t.exit.exitCode}`;
}

export function TerminalOutput({ terminal }: { terminal: TerminalView }) {
  const text = useMemo(() => plainOutput(terminal.output), [terminal.output]);
  const ref = useRef<HTMLPreElement>(null);
  const pinned = useRef(true);
  // Follows the newest line unless the reader scrolled up inside the output.
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [text]);
  const failed = !!terminal.exit && (terminal.exit.signal !== null || (terminal.exit.exitCode ?? 0) !== 0);
  return (
    <div
      class="term-out"
      data-terminal-id={terminal.terminalId}
      data-state={terminal.exit ? 'exited' : 'running'}
    >
      {terminal.dropped > 0 ? <p class="muted term-out-cut">… earlier output not shown</p> : null}
      <pre
        ref={ref}
        class="term-out-text"
        onScroll={(e) => {
          const el = e.currentTarget;
          pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {text || ' '}
      </pre>
      <p class={`term-out-exit ${failed ? 'failed' : ''}`}>{exitLabel(terminal)}</p>
    </div>
  );
}
