import { useEffect, useState } from 'preact/hooks';
import { activeSessions } from '../state/conversation';
import { ChatView } from './ChatView';
import { useApp, useClient } from './context';
import { NewConversationDialog } from './NewConversationDialog';
import { Sidebar } from './Sidebar';

function AuthScreen() {
  const origin = `${location.origin}${location.pathname}`;
  return (
    <main class="auth" aria-labelledby="auth-title">
      <h1 id="auth-title">gmgui</h1>
      <p>This browser is not signed in to the gmgui server.</p>
      <p>
        Open the URL printed by the server when it started — it looks like <code>{origin}?token=…</code>. No
        server running? Run <code>npm start</code> in the gmgui folder and copy the link it prints.
      </p>
      <button type="button" class="btn primary" onClick={() => location.reload()}>
        I opened the link, try again
      </button>
    </main>
  );
}

function Unreachable() {
  return (
    <main class="auth" aria-labelledby="auth-title" aria-busy="true">
      <h1 id="auth-title">gmgui</h1>
      <p role="status">
        <span class="spinner" aria-hidden="true" /> The gmgui server cannot be reached. Retrying…
      </p>
      <p class="muted">
        If it is not running, start it with <code>npm start</code>.
      </p>
    </main>
  );
}

function Notices() {
  const client = useClient();
  const notices = useApp((s) => s.notices);
  const persistent = useApp((s) => s.outboxPersistent);
  return (
    <div class="notices" role="status" aria-live="polite">
      {persistent ? null : (
        <div class="notice info">
          Unsent messages are kept only while this tab is open (browser storage is unavailable).
        </div>
      )}
      {notices.map((n) => (
        <div class={`notice ${n.kind}`} key={n.id}>
          <span>{n.text}</span>
          <button
            type="button"
            class="icon-btn small"
            aria-label="Dismiss"
            onClick={() => client.dismiss(n.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

export function App() {
  const client = useClient();
  const auth = useApp((s) => s.auth);
  const dialog = useApp((s) => s.newDialogOpen);
  const selected = useApp((s) => s.selectedId);
  const [drawer, setDrawer] = useState(false);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented) return;
      // Alt+N: Ctrl+N / Cmd+N belong to the browser and cannot be taken over.
      if (e.altKey && !e.ctrlKey && !e.metaKey && (e.code === 'KeyN' || e.key.toLowerCase() === 'n')) {
        e.preventDefault();
        client.openNewDialog();
        return;
      }
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        setDrawer(true);
        document.getElementById('search-input')?.focus();
        return;
      }
      if (e.key === 'Escape') {
        // An open dialog handles Esc itself (it closes).
        if (document.querySelector('dialog[open]')) return;
        if (drawer) {
          setDrawer(false);
          return;
        }
        const v = client.store.get().view;
        if (v && activeSessions(v).length) {
          e.preventDefault();
          void client.stop();
        }
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [client, drawer]);

  if (auth === 'unauthorized') return <AuthScreen />;
  if (auth === 'unreachable') return <Unreachable />;
  if (auth === 'checking')
    return (
      <div class="center muted" role="status">
        <span class="spinner" aria-hidden="true" /> Loading…
      </div>
    );

  return (
    <div class={`app ${drawer ? 'drawer-open' : ''} ${selected ? 'has-conversation' : ''}`}>
      <a class="skip-link" href="#composer-input">
        Skip to the message box
      </a>
      <Sidebar onNavigate={() => setDrawer(false)} />
      <button
        type="button"
        class="scrim"
        aria-label="Close the conversation list"
        tabIndex={-1}
        onClick={() => setDrawer(false)}
      />
      <ChatView onMenu={() => setDrawer(true)} />
      {dialog ? <NewConversationDialog /> : null}
      <Notices />
    </div>
  );
}
