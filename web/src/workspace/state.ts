// The workspace panel's own state (docs/CONTRACT.md section 9): whether it is open, which tab, which
// file at which line. Small and in the first-screen bundle, because a tool card's path link opens it;
// the panel itself is loaded on first use (Mount.tsx). The open file is in the address bar as
// `#/c/<conversation>/file/<path>#L<line>` so a reload or a shared link opens it again; the
// conversation part is the app's own route (client.ts reads only `#/c/<id>`).

import { Store } from '../state/store';

export type WorkspaceTab = 'files' | 'changes' | 'terminal';

export interface OpenFile {
  /** As the user or a tool call named it: relative to the conversation's folder, or absolute inside it. */
  path: string;
  line: number | null;
}

export interface WorkspaceState {
  open: boolean;
  tab: WorkspaceTab;
  file: OpenFile | null;
  /** Grows on every openFile(), so opening the same file again scrolls to its line again. */
  nonce: number;
}

export const workspace = new Store<WorkspaceState>({ open: false, tab: 'files', file: null, nonce: 0 });

const FILE_HASH = /^#\/c\/([^/?#]+)\/file\/([^#]*)(?:#L(\d+))?$/;

/** The file an address names, or null. */
export function fileFromHash(hash: string): { conversationId: string; file: OpenFile } | null {
  const m = FILE_HASH.exec(hash);
  if (!m) return null;
  try {
    const path = decodeURIComponent(m[2] as string);
    return { conversationId: decodeURIComponent(m[1] as string), file: { path, line: m[3] ? Number(m[3]) : null } };
  } catch {
    return null;
  }
}

export function fileHash(conversationId: string, f: OpenFile): string {
  return `#/c/${encodeURIComponent(conversationId)}/file/${encodeURIComponent(f.path)}${f.line ? `#L${f.line}` : ''}`;
}

/** The conversation the address bar names (the app's route), if any. */
function routeConversation(): string | null {
  const m = /^#\/c\/([^/?#]+)/.exec(location.hash);
  return m ? decodeURIComponent(m[1] as string) : null;
}

/** Keeps the address in step without a hashchange (which would make the app re-route). */
export function syncHash(): void {
  const id = routeConversation();
  if (!id) return;
  const { file, open } = workspace.get();
  const want = open && file ? fileHash(id, file) : `#/c/${encodeURIComponent(id)}`;
  if (location.hash !== want) history.replaceState(history.state, '', want);
}

export function openFile(path: string, line: number | null = null): void {
  workspace.set((s) => ({ open: true, tab: 'files', file: { path, line }, nonce: s.nonce + 1 }));
  syncHash();
}

export function closeFile(): void {
  workspace.set({ file: null });
  syncHash();
}

export function showTab(tab: WorkspaceTab): void {
  workspace.set({ open: true, tab });
}

export function toggleWorkspace(): void {
  workspace.set((s) => ({ open: !s.open }));
  syncHash();
}

const SAVED = 'gmgui.workspace';

/**
 * At start: the panel as this tab left it (open, which view: a reload comes back to its terminal), and
 * a file named in the address opens it on that file. Kept in sessionStorage from then on.
 */
export function restore(hash: string): void {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SAVED) ?? 'null') as Partial<WorkspaceState> | null;
    if (saved && typeof saved.open === 'boolean' && (saved.tab === 'files' || saved.tab === 'changes' || saved.tab === 'terminal'))
      workspace.set({ open: saved.open, tab: saved.tab });
  } catch {
    // Nothing usable saved.
  }
  const found = fileFromHash(hash);
  if (found) workspace.set({ open: true, tab: 'files', file: found.file });
  workspace.subscribe(() => {
    const { open, tab } = workspace.get();
    sessionStorage.setItem(SAVED, JSON.stringify({ open, tab }));
  });
}
