import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useApp, useClient } from '../lib/use-app';
import type { ConversationView } from '../state/conversation';
import { useSelect } from '../state/store';
import { WorkspaceApi } from './api';
import { ChangesTab } from './ChangesTab';
import { FileTree } from './FileTree';
import { FileViewer } from './FileViewer';
import { TerminalTab } from './TerminalTab';
import './panel.css';
import { closeFile, openFile, showTab, toggleWorkspace, type WorkspaceTab, workspace } from './state';

// The workspace panel beside the chat (docs/CONTRACT.md section 9): the conversation folder's files,
// what changed (per turn, and in git), and terminals. Loaded on first use (Mount.tsx).

const TABS: Array<{ id: WorkspaceTab; label: string }> = [
  { id: 'files', label: 'Files' },
  { id: 'changes', label: 'Changes' },
  { id: 'terminal', label: 'Terminal' },
];

/** True when a path a tool call reported (absolute, the agent's view) names the file at `rel`. */
function names(toolPath: unknown, opened: string, rel: string | null): boolean {
  if (typeof toolPath !== 'string') return false;
  return toolPath === opened || (!!rel && (toolPath === rel || toolPath.endsWith(`/${rel}`)));
}

/**
 * A value that changes whenever a recent tool call that names the open file changes (its status, its
 * content): the agent may just have edited the file, so the viewer loads it again.
 */
function liveKeyOf(v: ConversationView | null, opened: string | null, rel: string | null): string {
  if (!v || !opened) return '';
  const parts: string[] = [];
  for (const sid of v.sessionOrder.slice(-5)) {
    const s = v.sessions[sid];
    if (!s) continue;
    for (const t of Object.values(s.tools)) {
      const hit =
        t.locations.some((l) => names(l.path, opened, rel)) ||
        t.content.some((c) => c.type === 'diff' && names(c.path, opened, rel));
      if (hit) parts.push(`${t.toolCallId}:${t.status}:${t.content.length}`);
    }
  }
  return parts.join('|');
}

/** Changes when a turn starts or ends: the change lists load again. */
function turnsKeyOf(v: ConversationView | null): string {
  if (!v) return '';
  const last = v.sessions[v.sessionOrder[v.sessionOrder.length - 1] ?? ''];
  return `${v.sessionOrder.length}:${last?.status ?? ''}`;
}

export function Panel({ conversationId }: { conversationId: string }) {
  const client = useClient();
  const ws = useMemo(() => new WorkspaceApi(client.api, conversationId), [client, conversationId]);
  const tab = useSelect(workspace, (s) => s.tab);
  const file = useSelect(workspace, (s) => s.file);
  const nonce = useSelect(workspace, (s) => s.nonce);
  const [rel, setRel] = useState<string | null>(null);
  const liveKey = useApp((s) => liveKeyOf(s.view, file?.path ?? null, rel));
  const turnsKey = useApp((s) => turnsKeyOf(s.view));
  const onLoaded = useCallback((f: { path: string }) => setRel(f.path), []);
  const onReverted = useCallback(() => workspace.set((s) => ({ nonce: s.nonce + 1 })), []);

  // Another conversation: its own folder, so the open file closes (the first one may come from the address).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else closeFile();
    setRel(null);
  }, [conversationId]);

  return (
    <aside class="workspace" aria-label="Workspace">
      <div class="ws-head">
        <div class="ws-tabs" role="tablist" aria-label="Workspace views">
          {TABS.map((t) => (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={`ws-tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls="ws-body"
              class={tab === t.id ? 'active' : ''}
              onClick={() => showTab(t.id)}
            >
              {t.label}
            </button>
          ))}
        </div>
        <button type="button" class="icon-btn small" aria-label="Close the workspace" onClick={toggleWorkspace}>
          <span aria-hidden="true">×</span>
        </button>
      </div>
      <div class="ws-body" id="ws-body" role="tabpanel" aria-labelledby={`ws-tab-${tab}`}>
        {tab === 'files' ? (
          <div class={`ws-files ${file ? 'has-file' : ''}`}>
            <FileTree ws={ws} selected={rel} onOpen={(p) => openFile(p)} />
            {file ? (
              <FileViewer
                ws={ws}
                base={client.base}
                file={file}
                nonce={nonce}
                liveKey={liveKey}
                onLoaded={onLoaded}
                onClose={closeFile}
              />
            ) : (
              <p class="ws-pick muted">Choose a file to see it here.</p>
            )}
          </div>
        ) : null}
        {tab === 'changes' ? <ChangesTab ws={ws} turnsKey={turnsKey} onReverted={onReverted} /> : null}
        {tab === 'terminal' ? <TerminalTab ws={ws} base={client.base} /> : null}
      </div>
    </aside>
  );
}
