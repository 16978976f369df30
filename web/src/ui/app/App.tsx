import { useEffect, useState } from 'preact/hooks';
import { activeSessions } from '../../state/conversation';
import { ChatView } from '../chat/ChatView';
import { useApp, useClient } from '../../lib/use-app';
import { NewConversationDialog } from '../dialogs/NewConversationDialog';
import { Sidebar } from '../sidebar/Sidebar';
import { WorkspaceMount } from '../../workspace/Mount';
import './app.css';
import { Notices } from './Notices';
import { AuthScreen, Unreachable } from './SignIn';

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
        // Stopping the agent is for Esc in the message box or the conversation, never in the search
        // box, a rename field, the workspace panel or a menu (Esc there means "clear" or "close").
        if (!escStopsHere(e.target)) return;
        const v = client.store.get().view;
        if (v && activeSessions(v).length) {
          e.preventDefault();
          void client.turns.stop();
        }
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [client, drawer]);

  // Choosing or creating a conversation (from the list, the dialog or a link) closes the phone drawer.
  useEffect(() => {
    if (selected) setDrawer(false);
  }, [selected]);

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
      <WorkspaceMount />
      {dialog ? <NewConversationDialog /> : null}
      <Notices />
    </div>
  );
}

/** Esc stops the agent from the message box or the conversation (or from nowhere in particular). */
function escStopsHere(target: EventTarget | null): boolean {
  if (!(target instanceof Element) || target === document.body) return true;
  return !!target.closest('.composer, .timeline');
}
