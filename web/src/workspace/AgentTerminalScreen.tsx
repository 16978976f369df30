import { useEffect, useRef } from 'preact/hooks';
import type { TerminalView } from '../state/session';
import type { ReadOnlyTerminal } from './xterm-view';

/** A command the agent runs, in xterm like the user's shells, read-only and live (TerminalTab.tsx). */
export function AgentTerminalScreen({ terminal }: { terminal: TerminalView }) {
  const el = useRef<HTMLDivElement>(null);
  const view = useRef<ReadOnlyTerminal | null>(null);
  const latest = useRef(terminal.output);
  latest.current = terminal.output;
  useEffect(() => {
    let cancelled = false;
    void import('./xterm-view').then(({ mountReadOnlyTerminal }) => {
      if (cancelled || !el.current) return;
      view.current = mountReadOnlyTerminal(el.current);
      view.current.show(latest.current);
    });
    return () => {
      cancelled = true;
      view.current?.dispose();
      view.current = null;
    };
  }, []);
  useEffect(() => view.current?.show(terminal.output), [terminal.output]);
  return <div class="ws-term-screen" ref={el} data-agent-terminal={terminal.terminalId} />;
}
