import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { applyTheme, loadTheme, nextTheme, type ThemePref } from '../../lib/theme';
import { shortTime } from '../../lib/time';
import { activeSessions } from '../../state/conversation';
import { matchesTitle, sortedConversations, titleOf } from '../../state/conversations';
import type { Conversation } from '../../types';
import { ConfirmDialog } from '../dialogs/ConfirmDialog';
import { useApp, useClient } from '../../lib/use-app';
import { NotificationSetting } from '../../push/NotificationSetting';
import { Icon, type IconName } from '../Icon';
import { SettingsDialog } from '../settings/SettingsDialog';
import { ImportButton } from '../fork/ImportButton';
import './sidebar.css';

const THEME_LABEL: Record<ThemePref, string> = {
  system: 'System theme',
  light: 'Light theme',
  dark: 'Dark theme',
};
const THEME_ICON: Record<ThemePref, IconName> = { system: 'auto', light: 'sun', dark: 'moon' };

function ThemeToggle() {
  const [pref, setPref] = useState<ThemePref>(loadTheme);
  return (
    <button
      type="button"
      class="icon-btn"
      aria-label={`${THEME_LABEL[pref]} (click to change)`}
      title={THEME_LABEL[pref]}
      onClick={() => {
        const p = nextTheme(pref);
        applyTheme(p);
        setPref(p);
      }}
    >
      <Icon name={THEME_ICON[pref]} size={18} />
    </button>
  );
}

interface ItemProps {
  c: Conversation;
  selected: boolean;
  running: boolean;
  waiting: boolean;
  unsent: boolean;
  onOpen: (id: string) => void;
  onDelete: (c: Conversation) => void;
}

function Item({ c, selected, running, waiting, unsent, onOpen, onDelete }: ItemProps) {
  const client = useClient();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState('');
  const title = titleOf(c);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (editing) input.current?.select();
  }, [editing]);

  const save = () => {
    setEditing(false);
    const t = draft.trim();
    if (t && t !== c.title) void client.rename(c.id, t);
  };

  return (
    <li class={`conv ${selected ? 'selected' : ''}`} data-conversation-id={c.id}>
      {editing ? (
        <input
          ref={input}
          class="rename-input"
          value={draft}
          aria-label="New title"
          onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') save();
            if (e.key === 'Escape') {
              e.stopPropagation();
              setEditing(false);
            }
          }}
          onBlur={save}
        />
      ) : (
        <button
          type="button"
          class="conv-open"
          aria-current={selected ? 'page' : undefined}
          onClick={() => onOpen(c.id)}
        >
          <span class="conv-title">{title}</span>
          <span class="conv-sub">
            {waiting ? (
              <span class="badge warn" title="Waiting for your answer">
                needs you
              </span>
            ) : running ? (
              <span class="badge live" title="The agent is working">
                <span class="spinner" aria-hidden="true" /> running
              </span>
            ) : null}
            {unsent ? (
              <span class="badge" title="Messages waiting to be sent">
                unsent
              </span>
            ) : null}
            <time dateTime={new Date(c.updated_at).toISOString()}>{shortTime(c.updated_at)}</time>
          </span>
        </button>
      )}
      {editing ? null : (
        <span class="conv-actions">
          <button
            type="button"
            class="icon-btn small"
            aria-label={`Rename “${title}”`}
            title="Rename"
            onClick={() => {
              setDraft(c.title ?? '');
              setEditing(true);
            }}
          >
            <Icon name="pencil" size={14} />
          </button>
          <button
            type="button"
            class="icon-btn small"
            aria-label={`Delete “${title}”`}
            title="Delete"
            onClick={() => onDelete(c)}
          >
            <Icon name="trash" size={14} />
          </button>
        </span>
      )}
    </li>
  );
}

export function Sidebar({ onNavigate }: { onNavigate: () => void }) {
  const client = useClient();
  const list = useApp((s) => s.list);
  const loaded = useApp((s) => s.listLoaded);
  const selectedId = useApp((s) => s.selectedId);
  const hits = useApp((s) => s.searchHits);
  const contentIndex = useApp((s) => s.contentIndex);
  // The open conversation's own state is exact (a fresh tab has seen no /sync event for it yet).
  const openKey = useApp((s) => {
    const v = s.view;
    if (!v) return '';
    const active = activeSessions(v);
    const waiting = v.sessionOrder.some((id) => (v.sessions[id]?.permissions.length ?? 0) > 0);
    return `${v.id} ${active.length > 0 ? 1 : 0} ${waiting ? 1 : 0}`;
  });
  const openActivity = useMemo(() => {
    const [id = '', running, waiting] = openKey.split(' ');
    return { id, running: running === '1', waiting: waiting === '1' };
  }, [openKey]);
  const outbox = useApp((s) => s.outbox);
  const unsent = useMemo(() => new Set(outbox.map((i) => i.conversationId)), [outbox]);
  const [query, setQuery] = useState('');
  const [toDelete, setToDelete] = useState<Conversation | null>(null);
  const [settingsOpen, setSettingsOpen] = useState(false);

  // Content search on the server (debounced); titles and loaded conversations filter locally at once.
  useEffect(() => {
    const t = setTimeout(() => void client.search(query), 250);
    return () => clearTimeout(t);
  }, [query, client]);

  const all = useMemo(() => sortedConversations(list), [list]);
  const q = query.trim();
  const shown = useMemo(() => {
    if (!q) return all;
    const lower = q.toLowerCase();
    const serverIds = hits && hits.q === q ? hits.ids : null;
    return all.filter(
      (c) => matchesTitle(c, q) || contentIndex[c.id]?.includes(lower) || serverIds?.has(c.id),
    );
  }, [all, q, hits, contentIndex]);

  const open = (id: string) => {
    client.select(id);
    onNavigate();
  };

  return (
    <nav class="sidebar" aria-label="Conversations">
      <div class="side-head">
        <h1 class="brand">gmgui</h1>
        <ThemeToggle />
        <button
          type="button"
          class="icon-btn settings-btn"
          aria-label="Settings: auto-approve and “always allow” rules"
          title="Settings"
          onClick={() => setSettingsOpen(true)}
        >
          <Icon name="tool" size={18} />
        </button>
        <button
          type="button"
          class="btn primary new-btn"
          onClick={() => client.openNewDialog()}
          aria-keyshortcuts="Alt+N"
          title="New conversation (Alt+N)"
        >
          + New
        </button>
      </div>
      <div class="side-import">
        <ImportButton onDone={onNavigate} />
      </div>
      <div class="search">
        <input
          id="search-input"
          type="search"
          placeholder="Search title and content"
          aria-label="Search conversations by title and content"
          aria-keyshortcuts="Control+K"
          value={query}
          onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
        />
      </div>
      {loaded && shown.length === 0 ? (
        <p class="muted side-empty">{q ? 'Nothing matches.' : 'No conversations yet.'}</p>
      ) : null}
      <ul class="conv-list">
        {shown.map((c) => {
          const a = list.activity[c.id];
          const here = c.id === openActivity.id ? openActivity : null;
          return (
            <Item
              key={c.id}
              c={c}
              selected={c.id === selectedId}
              running={here ? here.running : !!a && Object.keys(a.running).length > 0}
              waiting={here ? here.waiting : !!a && Object.keys(a.waiting).length > 0}
              unsent={unsent.has(c.id)}
              onOpen={open}
              onDelete={setToDelete}
            />
          );
        })}
      </ul>
      <NotificationSetting />
      {settingsOpen ? <SettingsDialog onClose={() => setSettingsOpen(false)} /> : null}
      {toDelete ? (
        <ConfirmDialog
          title="Delete conversation?"
          confirmLabel="Delete"
          danger
          onCancel={() => setToDelete(null)}
          onConfirm={() => {
            const c = toDelete;
            setToDelete(null);
            void client.remove(c.id);
          }}
        >
          <p>“{titleOf(toDelete)}” and all its messages will be deleted. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </nav>
  );
}
