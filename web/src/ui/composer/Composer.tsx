import { useEffect, useRef, useState } from 'preact/hooks';
import { commandQuery, matchCommands } from '../../lib/commands';
import { serverUnreachable } from '../../client/app-state';
import { activeSessions } from '../../state/conversation';
import type { AgentCommand } from '../../types';
import { AgentBar } from './AgentBar';
import { useApp, useClient } from '../../lib/use-app';
import { Icon } from '../Icon';
import { ClipIcon, DraftChips } from '../attachments/Attachments';
import { MentionList } from '../attachments/MentionList';
import { useAttachments } from './use-attachments';
import { useMentions } from './use-mentions';
import './composer.css';
import { SuggestList } from './SuggestList';

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

/**
 * Puts text in a conversation's composer before it is opened (edit-and-resend, web/src/ui/fork):
 * the composer reads the draft when the conversation opens.
 */
export function setDraft(conversationId: string, text: string): void {
  saveDraft(conversationId, text);
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

/** The files a paste carries, unless it carries text too (a spreadsheet copies cells as both). */
function pastedFiles(e: ClipboardEvent): File[] {
  const dt = e.clipboardData;
  if (!dt || dt.types.includes('text/plain')) return [];
  return Array.from(dt.files);
}

/**
 * The message box: Enter sends, Shift+Enter adds a line (on touch screens Enter adds a line and the
 * Send button sends), Esc in the message box or the conversation stops the running turn.
 * Typing `/` suggests the agent's slash-commands (arrows choose, Tab or Enter takes, Esc closes).
 * Images are attached by pasting, dropping them on the composer or the attach button (on phones it
 * offers the camera too); they show as removable previews until sent (CONTRACT section 11).
 */
/** The agent's commands under the message box, as `/name hint  description`. */
const COMMAND_LIST = {
  id: 'composer-commands',
  label: 'Agent commands',
  keyOf: (c: AgentCommand) => c.name,
  data: (c: AgentCommand) => ({ 'data-command': c.name }),
  render: (c: AgentCommand) => (
    <>
      <span class="cmd-name">/{c.name}</span>
      {c.input?.hint ? <span class="cmd-hint"> {c.input.hint}</span> : null}
      {c.description ? <span class="cmd-desc">{c.description}</span> : null}
    </>
  ),
};

export function Composer() {
  const client = useClient();
  const convId = useApp((s) => s.view?.id ?? null);
  // While the server cannot be reached Stop could not arrive: the turn says so instead (Turn.tsx).
  const running = useApp((s) =>
    s.view ? activeSessions(s.view).length > 0 && !serverUnreachable(s) : false,
  );
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
  const picker = useRef<HTMLInputElement>(null);
  const att = useAttachments(convId);
  const [dragging, setDragging] = useState(false);
  const [caret, setCaret] = useState(0);
  /** Where the caret goes once a taken suggestion's text is rendered. */
  const moveCaret = useRef<number | null>(null);
  const query = commandQuery(text);
  const suggestions = query === null || dismissed ? NO_COMMANDS : matchCommands(commands, query);
  const active = suggestions.length ? Math.min(pick, suggestions.length - 1) : -1;
  const syncCaret = () => setCaret(ref.current?.selectionStart ?? 0);

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
    if (moveCaret.current !== null) {
      el.setSelectionRange(moveCaret.current, moveCaret.current);
      moveCaret.current = null;
    }
  }, [text]);

  const change = (v: string) => {
    setText(v);
    setDismissed(false);
    setPick(0);
    if (convId) saveDraft(convId, v);
  };

  const mentions = useMentions(
    convId,
    text,
    caret,
    (t, at) => {
      change(t);
      setCaret(at);
      moveCaret.current = at;
      ref.current?.focus();
    },
    att.addFolderFile,
  );

  const submit = () => {
    const t = text.trim();
    if ((!t && !att.items.length) || !convId) return;
    setText('');
    saveDraft(convId, '');
    const inputs = att.items.map((a) => a.input);
    att.clear();
    void client.sender.send(t, inputs);
  };

  const hasFiles = (e: DragEvent) => !!convId && !!e.dataTransfer?.types.includes('Files');

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
      class={`composer${dragging ? ' dragging' : ''}`}
      aria-label="Send a message"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      }}
      onDragLeave={(e) => {
        // Leaving for a child is not leaving the composer.
        if (!(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(e) => {
        setDragging(false);
        if (!hasFiles(e)) return;
        e.preventDefault();
        void att.addFiles(Array.from(e.dataTransfer?.files ?? []));
      }}
    >
      {att.error ? (
        <div class="att-error" role="alert">
          <span>{att.error}</span>
          <button type="button" class="btn small" onClick={att.dismissError}>
            OK
          </button>
        </div>
      ) : null}
      <DraftChips items={att.items} onRemove={att.remove} />
      <label for="composer-input" class="sr-only">
        Message to {agentName}
      </label>
      <div class="composer-row">
        <button
          type="button"
          class="btn attach"
          disabled={!convId}
          aria-label="Attach images"
          title="Attach images (or paste, or drop them here)"
          onClick={() => picker.current?.click()}
        >
          <ClipIcon />
        </button>
        {/* image/*, no capture attribute: phones offer the camera and the gallery both. */}
        <input
          ref={picker}
          type="file"
          accept="image/*"
          multiple
          hidden
          onChange={(e) => {
            const input = e.currentTarget;
            void att.addFiles(Array.from(input.files ?? []));
            input.value = '';
          }}
        />
        <div class="composer-input">
          {mentions.items.length ? (
            <MentionList items={mentions.items} active={mentions.active} onTake={mentions.take} />
          ) : null}
          {suggestions.length ? (
            <SuggestList {...COMMAND_LIST} items={suggestions} active={active} onTake={takeCommand} />
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
                  ? 'Message… (/ for commands, @ for files)'
                  : 'Message… (@ for files)'
                : 'Pick or create a conversation'
            }
            aria-describedby="composer-hint"
            aria-autocomplete="list"
            aria-controls={
              mentions.items.length
                ? 'composer-mentions'
                : suggestions.length
                  ? 'composer-commands'
                  : undefined
            }
            aria-activedescendant={
              mentions.active >= 0
                ? `composer-mentions-${mentions.active}`
                : active >= 0
                  ? `composer-commands-${active}`
                  : undefined
            }
            onInput={(e) => {
              const el = e.target as HTMLTextAreaElement;
              change(el.value);
              setCaret(el.selectionStart);
            }}
            onKeyUp={syncCaret}
            onClick={syncCaret}
            onPaste={(e) => {
              const files = pastedFiles(e);
              if (!files.length) return;
              e.preventDefault();
              void att.addFiles(files);
            }}
            onKeyDown={(e) => {
              // Enter confirms an IME candidate then: it must neither send nor pick.
              if (e.isComposing) return;
              if (mentions.key(e) || suggestKey(e)) {
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
            disabled={!convId || (!text.trim() && !att.items.length)}
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
