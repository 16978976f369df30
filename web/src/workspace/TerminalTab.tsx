import { useEffect, useRef, useState } from 'preact/hooks';
import { errText } from '../lib/errors';
import { useApp } from '../lib/use-app';
import { wsUrl } from '../net/base';
import { agentTerminals } from './agent-terminals';
import { AgentTerminalScreen } from './AgentTerminalScreen';
import type { TerminalInfo, WorkspaceApi } from './api';
import { useLoad } from './use-load';
import type { TerminalHandle } from './xterm-view';

// Shells in the conversation's folder (docs/CONTRACT.md section 9, "Terminals"). They live on the
// server: closing the panel or reloading the page leaves them running, and opening the tab reattaches
// to the one that was shown (remembered per conversation in sessionStorage).

const remembered = (conversationId: string) => `gmgui.terminal.${conversationId}`;

function TerminalScreen({ url, onState }: { url: string; onState: (s: string) => void }) {
  const el = useRef<HTMLDivElement>(null);
  const handle = useRef<TerminalHandle | null>(null);
  useEffect(() => {
    let cancelled = false;
    void import('./xterm-view').then(({ mountTerminal }) => {
      if (cancelled || !el.current) return;
      handle.current = mountTerminal(el.current, { url, onState });
      handle.current.focus();
    });
    return () => {
      cancelled = true;
      handle.current?.dispose();
      handle.current = null;
    };
  }, [url, onState]);
  return <div class="ws-term-screen" ref={el} data-terminal-url={url} />;
}

export function TerminalTab({ ws, base }: { ws: WorkspaceApi; base: URL }) {
  const { data, error, reload } = useLoad(() => ws.terminals(), [ws]);
  const [active, setActive] = useState<string | null>(() =>
    sessionStorage.getItem(remembered(ws.conversationId)),
  );
  const [state, setState] = useState('');
  const [problem, setProblem] = useState('');
  const list: TerminalInfo[] = data?.terminals ?? [];
  // The agent's commands, read-only, next to the user's shells ("agent:" ids never clash with theirs).
  const view = useApp((s) => s.view);
  const agents = agentTerminals(view?.id === ws.conversationId ? view : null);
  const agentShown = agents.find((a) => `agent:${a.terminal.terminalId}` === active) ?? null;
  const current = agentShown ? null : (list.find((t) => t.id === active) ?? list[list.length - 1] ?? null);

  useEffect(() => {
    if (current) sessionStorage.setItem(remembered(ws.conversationId), current.id);
  }, [current, ws.conversationId]);

  const open = async () => {
    setProblem('');
    try {
      const { terminal } = await ws.openTerminal(80, 24);
      setActive(terminal.id);
      reload();
    } catch (e) {
      setProblem(errText(e));
    }
  };
  const close = async (t: TerminalInfo) => {
    setProblem('');
    try {
      await ws.closeTerminal(t.id);
    } catch (e) {
      setProblem(errText(e));
    }
    reload();
  };

  return (
    <div class="ws-terminals">
      <div class="ws-term-bar" role="tablist" aria-label="Terminals">
        {list.map((t, i) => (
          <span key={t.id} class={`ws-term-tab ${current?.id === t.id ? 'active' : ''}`}>
            <button
              type="button"
              role="tab"
              aria-selected={current?.id === t.id}
              onClick={() => setActive(t.id)}
            >
              {t.shell.split('/').pop()} {i + 1}
              {t.exit ? ' (ended)' : ''}
            </button>
            <button
              type="button"
              class="icon-btn small"
              aria-label={`Close terminal ${i + 1}`}
              onClick={() => void close(t)}
            >
              ×
            </button>
          </span>
        ))}
        {agents.map((a) => {
          const id = `agent:${a.terminal.terminalId}`;
          return (
            <span key={id} class={`ws-term-tab agent ${agentShown === a ? 'active' : ''}`}>
              <button
                type="button"
                role="tab"
                aria-selected={agentShown === a}
                title={a.label}
                onClick={() => setActive(id)}
              >
                Agent: {a.label.length > 24 ? `${a.label.slice(0, 23)}…` : a.label}
                {a.terminal.exit ? ' (ended)' : ''}
              </button>
            </span>
          );
        })}
        <button type="button" class="btn small" onClick={() => void open()}>
          New terminal
        </button>
        {current && !agentShown ? <span class="muted ws-term-state">{state}</span> : null}
      </div>
      {error || problem ? (
        <p class="ws-error" role="alert">
          {problem || error}
        </p>
      ) : null}
      {agentShown ? (
        <>
          <p class="muted ws-note">Read-only: a command the agent runs.</p>
          <AgentTerminalScreen key={agentShown.terminal.terminalId} terminal={agentShown.terminal} />
        </>
      ) : current ? (
        <TerminalScreen
          key={current.id}
          url={wsUrl(base, ws.terminalSocketPath(current.id))}
          onState={setState}
        />
      ) : data ? (
        <p class="muted ws-note">
          No terminal is open. A new one starts a shell in the conversation's folder.
        </p>
      ) : null}
    </div>
  );
}
