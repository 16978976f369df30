import { useEffect } from 'preact/hooks';
import { activeSessions } from '../../state/conversation';
import { titleOf } from '../../state/conversations';
import { Composer } from '../composer/Composer';
import { ConnBadge } from './ConnBadge';
import { WorkspaceToggle } from '../../workspace/Mount';
import { useApp, useClient } from '../../lib/use-app';
import { Icon } from '../Icon';
import { ExportMenu } from './ExportMenu';
import { Timeline } from '../timeline/Timeline';
import { STATUS_LABEL } from '../turn/Turn';
import { type AppState, serverUnreachable } from '../../client/app-state';
import { ForkNotice } from '../fork/ForkNotice';
import { UsageTotals } from '../fork/UsageTotals';
import './chat.css';

/**
 * One word for the whole conversation: what is the agent doing right now? It is the word of the
 * turn that matters (turnStatusText), so the header and the turn agree; messages not yet sent
 * outrank a finished turn (never "Done" while something of yours is unsent).
 */
function useConversationState(): { text: string; kind: string } {
  return useApp((s) => {
    const v = s.view;
    if (!v) return IDLE;
    const unreachable = serverUnreachable(s);
    let waiting = false;
    for (const sid of v.sessionOrder) if (v.sessions[sid]?.permissions.length) waiting = true;
    const active = activeSessions(v);
    const running = active.find((x) => x.status === 'processing');
    if (running && unreachable) return UNREACHABLE;
    if (waiting) return WAITING;
    if (running) return running.stopping ? STOPPING : RUNNING;
    if (active.length) return QUEUED;
    if (s.outbox.some((i) => i.conversationId === v.id)) return unreachable ? OFFLINE_UNSENT : UNSENT;
    const last = v.sessions[v.sessionOrder[v.sessionOrder.length - 1] ?? ''];
    if (!last) return IDLE;
    return LAST[last.status] ?? IDLE;
  });
}

// Constant objects, so the selector's result is stable between renders.
const IDLE = { text: 'Idle', kind: 'idle' };
const WAITING = { text: 'Waiting for you', kind: 'waiting' };
const RUNNING = { text: 'Running', kind: 'processing' };
const STOPPING = { text: 'Stopping…', kind: 'processing' };
const QUEUED = { text: 'Queued', kind: 'pending' };
const UNREACHABLE = { text: 'Server unreachable', kind: 'unreachable' };
const UNSENT = { text: 'Sending…', kind: 'pending' };
const OFFLINE_UNSENT = { text: 'Unsent', kind: 'pending' };
const LAST: Record<string, { text: string; kind: string }> = Object.fromEntries(
  ['completed', 'error', 'cancelled', 'interrupted'].map((k) => [
    k,
    { text: STATUS_LABEL[k] as string, kind: k },
  ]),
);

/** Offline, said in words across the conversation (the header badge alone is easy to miss). */
function OfflineBanner() {
  const online = useApp((s) => s.online);
  const unsent = useApp((s) => s.outbox.length);
  if (online) return null;
  return (
    <div class="offline-banner" role="status" data-offline-banner>
      <strong>You're offline.</strong>{' '}
      {unsent
        ? `${unsent === 1 ? 'Your message' : `${unsent} messages`} will send when you're back online.`
        : "Messages you write now will send when you're back online."}
    </div>
  );
}

function Header({ onMenu }: { onMenu: () => void }) {
  const conv = useApp((s) =>
    s.selectedId ? (s.view?.conversation ?? s.list.byId[s.selectedId] ?? null) : null,
  );
  const agentName = useApp((s) => s.agents?.find((a) => a.id === conv?.agentId)?.name ?? conv?.agentId ?? '');
  const state = useConversationState();
  // The tab title tells which conversation this is, and when the agent waits for an answer.
  useEffect(() => {
    const base = conv ? `${titleOf(conv)} · gmgui` : 'gmgui';
    document.title = state.kind === 'waiting' ? `(!) ${base}` : base;
  }, [conv, state]);
  return (
    <header class="chat-head">
      <button type="button" class="icon-btn menu-btn" onClick={onMenu} aria-label="Show conversations">
        <Icon name="menu" size={20} />
      </button>
      <div class="chat-title">
        <h2>{conv ? titleOf(conv) : 'gmgui'}</h2>
        {conv ? (
          <p class="chat-meta">
            <span>{agentName}</span>
            <UsageTotals />
            {conv.cwd ? <span title={conv.cwd}> · {conv.cwd}</span> : null}
          </p>
        ) : null}
      </div>
      {conv ? (
        <span class={`pill pill-${state.kind}`} data-conversation-state={state.kind}>
          {state.kind === 'processing' ? <span class="spinner" aria-hidden="true" /> : null}
          {state.text}
        </span>
      ) : null}
      {conv ? <ExportMenu conversationId={conv.id} /> : null}
      {conv ? <WorkspaceToggle /> : null}
      <ConnBadge />
    </header>
  );
}

/** Announces turn state changes to screen readers without reading the streaming text aloud. */
function Announcer() {
  const state = useConversationState();
  return (
    <div class="sr-only" aria-live="polite">
      {state.kind === 'idle' ? '' : `Agent: ${state.text}`}
    </div>
  );
}

function Empty() {
  const client = useClient();
  return (
    <div class="empty">
      <h2>Drive coding agents from your browser</h2>
      <p>
        Conversations survive closed tabs, lost networks and server restarts.{' '}
        <span class="wide-only">Open one on the left or start a new one.</span>
        <span class="narrow-only">Open one from the menu (☰ at the top) or start a new one.</span>
      </p>
      <button type="button" class="btn primary" onClick={() => client.openNewDialog()}>
        New conversation
      </button>
      <dl class="shortcuts">
        <dt>
          <kbd>Alt</kbd>+<kbd>N</kbd>
        </dt>
        <dd>new conversation</dd>
        <dt>
          <kbd>Enter</kbd> / <kbd>Shift</kbd>+<kbd>Enter</kbd>
        </dt>
        <dd>send / new line</dd>
        <dt>
          <kbd>Esc</kbd>
        </dt>
        <dd>stop the agent</dd>
        <dt>
          <kbd>Ctrl</kbd>+<kbd>K</kbd>
        </dt>
        <dd>search conversations</dd>
      </dl>
    </div>
  );
}

/** What stands in for the timeline while the conversation loads, or once it turned out missing. */
function LoadNotice({ status }: { status: AppState['viewStatus'] }) {
  const client = useClient();
  const error = useApp((s) => s.viewError);
  if (status === 'loading')
    return (
      <div class="center muted" role="status">
        <span class="spinner" aria-hidden="true" />{' '}
        {error ? `Waiting for the server… (${error})` : 'Loading…'}
      </div>
    );
  if (status === 'missing' || status === 'error')
    return (
      <div class="center" role="alert">
        <p>{error}</p>
        <button type="button" class="btn" onClick={() => client.select(null)}>
          Close
        </button>
      </div>
    );
  return null;
}

export function ChatView({ onMenu }: { onMenu: () => void }) {
  const status = useApp((s) => s.viewStatus);
  const selected = useApp((s) => s.selectedId);
  return (
    <main class="main" id="main" aria-label="Conversation">
      <Header onMenu={onMenu} />
      <OfflineBanner />
      {status === 'ready' ? <ForkNotice /> : null}
      {status === 'idle' ? <Empty /> : null}
      <LoadNotice status={status} />
      {status === 'ready' ? <Timeline /> : null}
      {selected ? <Composer /> : null}
      <Announcer />
    </main>
  );
}
