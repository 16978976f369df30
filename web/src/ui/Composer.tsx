import { useEffect, useRef, useState } from 'preact/hooks';
import { activeSessions } from '../state/conversation';
import { useApp, useClient } from './context';
import { Icon } from './Icon';

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

/** The message box: Enter sends, Shift+Enter adds a line, Esc (anywhere) stops the running turn. */
export function Composer() {
  const client = useClient();
  const convId = useApp((s) => s.view?.id ?? null);
  const running = useApp((s) => (s.view ? activeSessions(s.view).length > 0 : false));
  const agentName = useApp((s) => {
    const agentId = s.view?.conversation?.agentId;
    return s.agents?.find((a) => a.id === agentId)?.name ?? agentId ?? 'the agent';
  });
  const [text, setText] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);

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

  const submit = () => {
    const t = text.trim();
    if (!t || !convId) return;
    setText('');
    saveDraft(convId, '');
    void client.send(t);
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
      <textarea
        id="composer-input"
        ref={ref}
        rows={1}
        value={text}
        disabled={!convId}
        placeholder={convId ? 'Message…' : 'Pick or create a conversation'}
        aria-describedby="composer-hint"
        onInput={(e) => {
          const v = (e.target as HTMLTextAreaElement).value;
          setText(v);
          if (convId) saveDraft(convId, v);
        }}
        onKeyDown={(e) => {
          // isComposing: Enter confirms an IME candidate, it must not send.
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
            e.preventDefault();
            submit();
          }
        }}
      />
      <span id="composer-hint" class="sr-only">
        Enter sends, Shift+Enter adds a new line, Escape stops the agent.
      </span>
      <div class="composer-actions">
        {running ? (
          <button
            type="button"
            class="btn stop"
            onClick={() => void client.stop()}
            aria-keyshortcuts="Escape"
            aria-label="Stop the agent"
            title="Stop (Esc)"
          >
            <Icon name="stop" size={14} /> <span class="label">Stop</span>
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
    </form>
  );
}
