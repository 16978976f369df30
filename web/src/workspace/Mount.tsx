import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useApp } from '../lib/use-app';
import { useSelect } from '../state/store';
import { Icon } from '../ui/Icon';
import './mount.css';
import { restore, toggleWorkspace, workspace } from './state';

// The two pieces of the workspace in the first-screen bundle: the header button, and the mount point
// that loads the panel (files, changes, terminal) the first time it opens, as its own chunk.

export function WorkspaceToggle() {
  const open = useSelect(workspace, (s) => s.open);
  return (
    <button
      type="button"
      class={`icon-btn ws-toggle ${open ? 'active' : ''}`}
      aria-pressed={open}
      aria-label="Files, changes and terminal"
      title="Files, changes and terminal"
      onClick={toggleWorkspace}
    >
      <Icon name="folder" size={20} />
    </button>
  );
}

interface PanelProps {
  conversationId: string;
}

// Before the first render, so every component reads the restored state.
restore(location.hash);

export function WorkspaceMount() {
  const open = useSelect(workspace, (s) => s.open);
  const conversationId = useApp((s) => s.selectedId);
  const [Panel, setPanel] = useState<ComponentType<PanelProps> | null>(null);
  useEffect(() => {
    if (open && !Panel) void import('./Panel').then((m) => setPanel(() => m.Panel));
  }, [open, Panel]);
  if (!open || !conversationId) return null;
  if (!Panel)
    return (
      <aside class="workspace" aria-label="Workspace" aria-busy="true">
        <div class="center muted" role="status">
          <span class="spinner" aria-hidden="true" /> Loading…
        </div>
      </aside>
    );
  return <Panel conversationId={conversationId} />;
}
