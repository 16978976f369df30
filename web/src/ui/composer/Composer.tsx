import { useEffect, useRef, useState } from 'preact/hooks';
import { commandQuery, matchCommands } from '../../lib/commands';
import { serverUnreachable } from '../../client/app-state';
import { activeSessions } from '../../state/conversation';
import type { AgentCommand } from '../../types';
import { AgentBar } from './AgentBar';
import { useApp, useClient } from '../../lib/use-app';
import { Icon } from '../Icon';
import './composer.css';

const DRAFT = 'gmgui.draft.';

function loadDraft(id: string): string {
  try {
    return sessionStorage.getItem(DRAFT + id) ?? '';
  } catch {
    return '';
  }
}

function saveDraft(id: string, text: string): void {
  try {
    if (text) sessionStorage.setItem(DRAFT + id, text);
    else sessionStorage.removeItem(DRAFT + id);
  } catch {
    // Drafts are a convenience.
  }
}

const NO_COMMANDS: AgentCommand[] = [];

/** Whether the main pointer is a finger (`pointer: coarse`), followed live. */
function useTouch(): boolean {
  const [coarse, setCoarse] = useState(() => matchMedia('(pointer: coarse)').matches);
  useEffect(() => {
    const mq = matchMedia('(pointer: coarse)');
    const on = () => setCoarse(mq.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  return coarse;
}

/**
 * The message box: Enter sends, Shift+Enter adds a line (on touch screens Enter adds a line and the
 * Send button sends), Esc in the message box or the conversation stops the running turn.
 * Typing `/` suggests the agent's slash-commands (arrows choose, Tab or Enter takes, Esc closes).
 */
export function Composer() {
  const client = useClient();
  const convId = useApp((s) => s.view?.id ?? null);
  // While the server cannot be reached Stop could not arrive: the turn says so instead (Turn.tsx).
  const running = useApp((s) => (s.view ? activeSessions(s.view).length > 0 && !serverUnreachable(s) : false));
  // The turn Stop would stop has been asked to stop already: say so instead of offering it again.
  const stopping = useApp((s) => (s.view ? (activeSessions(s.view)[0]?.stopping ?? false) : false));
  const commands = useApp((s) => s.view?.agent.commands ?? NO_COMMANDS);
  const agentName = useApp((s) => {
    const agentId = s.view?.conversation?.agentId;
    return s.agents?.find((a) => a.id === agentId)?.name ?? agentId ?? 'the agent';
  });
  const touch = useTouch();
  const [text, setText] = useState('');
  const [pick, setPick] = useState(0);
  const [dismissed, setDismissed] = useState(false);
  const ref = useRef<HTMLTextAreaElement>(null);
  const query = commandQuery(text);
  const suggestions = query === null || dismissed ? NO_COMMANDS : matchCommands(commands, query);
  const active = suggestions.length ? Math.min(pick, suggestions.length - 1) : -1;

  useEffect(() => {
    setText(convId ? loadDraft(convId) : '');
    // A newly opened conversation is ready for typing (not on phones: the keyboard would cover it).
    if (convId && matchMedia('(min-width: 768px)').matches) ref.current?.focus();
  }, [convId]);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 240)}px`;
  }, [text]);

  const change = (v: string) => {
    setText(v);
    setDismissed(false);
    setPick(0);
    if (convId) saveDraft(convId, v);
  };

  const submit = () => {
    const t = text.trim();
    if (!t || !convId) return;
    setText('');
    saveDraft(convId, '');
    void client.sender.send(t);
  };

  const takeCommand = (c: AgentCommand) => {
    change(`/${c.name} `);
    ref.current?.focus();
  };

  /** Keys the suggestion list handles; true when the key was used. */
  const suggestKey = (e: KeyboardEvent): boolean => {
    const c = suggestions[active];
    if (!c) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const n = suggestions.length;
      setPick((active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
      return true;
    }
    if (e.key === 'Escape') {
      setDismissed(true);
      return true;
    }
    // Enter sends a command typed in full; otherwise it completes the chosen one, like Tab.
    const typedInFull = suggestions.some((x) => x.name.toLowerCase() === query);
    if (e.key === 'Tab' || (e.key === 'Enter' && !e.shiftKey && !typedInFull)) {
      takeCommand(c);
      return true;
    }
    return false;
  };

  return (
    <form
      class="composer"
      aria-label="Send a message"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label for="composer-input" class="sr-only">
        Message to {agentName}
      </label>
      <div class="composer-row">
        <div class="composer-input">
          {suggestions.length ? (
            <div class="cmd-suggest" id="composer-commands" role="listbox" aria-label="Agent commands">
              {suggestions.map((c, i) => (
                <div
                  key={c.name}
                  id={`composer-cmd-${i}`}
                  role="option"
                  // Focus stays in the textarea (aria-activedescendant); -1 keeps options out of Tab.
                  tabIndex={-1}
                  aria-selected={i === active}
                  class={i === active ? 'active' : ''}
                  data-command={c.name}
                  // mousedown, not click: the textarea must keep the focus.
                  onMouseDown={(e) => {
                    e.preventDefault();
                    takeCommand(c);
                  }}
                >
                  <span class="cmd-name">/{c.name}</span>
                  {c.input?.hint ? <span class="cmd-hint"> {c.input.hint}</span> : null}
                  {c.description ? <span class="cmd-desc">{c.description}</span> : null}
                </div>
              ))}
            </div>
          ) : null}
          <textarea
            id="composer-input"
            ref={ref}
            rows={1}
            value={text}
            disabled={!convId}
            placeholder={
              convId
                ? commands.length
                  ? 'Message… (/ for commands)'
                  : 'Message…'
                : 'Pick or create a conversation'
            }
            aria-describedby="composer-hint"
            aria-autocomplete={commands.length ? 'list' : undefined}
            aria-controls={suggestions.length ? 'composer-commands' : undefined}
            aria-activedescendant={active >= 0 ? `composer-cmd-${active}` : undefined}
            onInput={(e) => change((e.target as HTMLTextAreaElement).value)}
            onKeyDown={(e) => {
              // Enter confirms an IME candidate then: it must neither send nor pick.
              if (e.isComposing) return;
              if (suggestKey(e)) {
                e.preventDefault();
                return;
              }
              // On touch screens Enter is the keyboard's only way to a new line: there, Send sends.
              if (touch) return;
              if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
                e.preventDefault();
                submit();
              }
            }}
          />
        </div>
        <span id="composer-hint" class="sr-only">
          {touch
            ? 'Enter adds a new line; the Send button sends.'
            : 'Enter sends, Shift+Enter adds a new line, Escape stops the agent.'}
        </span>
        <div class="composer-actions">
          {running ? (
            <button
              type="button"
              class="btn stop"
              onClick={() => void client.turns.stop()}
              disabled={stopping}
              aria-keyshortcuts="Escape"
              aria-label={stopping ? 'Stopping the agent' : 'Stop the agent'}
              title="Stop (Esc)"
            >
              <Icon name="stop" size={14} /> <span class="label">{stopping ? 'Stopping…' : 'Stop'}</span>
            </button>
          ) : null}
          <button
            type="submit"
            class="btn primary send"
            disabled={!convId || !text.trim()}
            title="Send (Enter)"
          >
            Send
          </button>
        </div>
      </div>
      <AgentBar />
    </form>
  );
}
