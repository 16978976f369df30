import { useState } from 'preact/hooks';
import { Icon } from '../ui/Icon';
import type { TreeEntry, WorkspaceApi } from './api';
import { useLoad } from './use-load';

// The conversation's folder as a tree, one level per request (docs/CONTRACT.md section 9): a folder's
// children are asked for when it is opened. Links that lead out are shown, greyed, and never followed.

interface Props {
  ws: WorkspaceApi;
  /** The open file's path relative to the folder, to mark it. */
  selected: string | null;
  onOpen: (path: string) => void;
}

function formatSize(n: number | undefined): string {
  if (n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function Level({ ws, path, depth, selected, onOpen }: Props & { path: string; depth: number }) {
  const { data, error, loading } = useLoad(() => ws.tree(path), [ws, path]);
  if (loading && !data) return <li class="ws-tree-note muted" style={{ paddingLeft: `${depth * 14 + 8}px` }}>Loading…</li>;
  if (error) return <li class="ws-tree-note error" role="alert" style={{ paddingLeft: `${depth * 14 + 8}px` }}>{error}</li>;
  if (!data) return null;
  return (
    <>
      {data.entries.map((e) => (
        <Entry key={e.path} entry={e} ws={ws} depth={depth} selected={selected} onOpen={onOpen} />
      ))}
      {data.entries.length === 0 ? (
        <li class="ws-tree-note muted" style={{ paddingLeft: `${depth * 14 + 8}px` }}>
          Empty folder
        </li>
      ) : null}
      {data.truncated ? (
        <li class="ws-tree-note muted" style={{ paddingLeft: `${depth * 14 + 8}px` }}>
          Only the first {data.entries.length} entries are shown.
        </li>
      ) : null}
    </>
  );
}

function Entry({ entry, ws, depth, selected, onOpen }: Props & { entry: TreeEntry; depth: number }) {
  const [open, setOpen] = useState(false);
  const pad = { paddingLeft: `${depth * 14 + 4}px` };
  if (entry.type === 'dir')
    return (
      <li>
        <button type="button" class="ws-tree-row" style={pad} aria-expanded={open} onClick={() => setOpen(!open)}>
          <span class="ws-caret" aria-hidden="true">
            {open ? '▾' : '▸'}
          </span>
          <Icon name="folder" />
          <span class={`ws-name ${entry.hidden ? 'muted' : ''}`}>{entry.name}</span>
        </button>
        {open ? (
          <ul class="ws-tree" aria-label={entry.name}>
            <Level ws={ws} path={entry.path} depth={depth + 1} selected={selected} onOpen={onOpen} />
          </ul>
        ) : null}
      </li>
    );
  const usable = entry.type === 'file';
  return (
    <li>
      <button
        type="button"
        class={`ws-tree-row ${selected === entry.path ? 'selected' : ''}`}
        style={pad}
        disabled={!usable}
        aria-current={selected === entry.path ? 'true' : undefined}
        title={usable ? entry.path : entry.type === 'link' ? 'A link that leads outside the folder' : 'Not a regular file'}
        onClick={() => onOpen(entry.path)}
      >
        <span class="ws-caret" aria-hidden="true" />
        <Icon name={entry.type === 'link' ? 'link' : 'file'} />
        <span class={`ws-name ${entry.hidden ? 'muted' : ''}`}>{entry.name}</span>
        <span class="ws-size muted">{formatSize(entry.size)}</span>
      </button>
    </li>
  );
}

export function FileTree(props: Props) {
  return (
    <nav class="ws-tree-wrap" aria-label="Files of the conversation's folder">
      <ul class="ws-tree">
        <Level {...props} path="" depth={0} />
      </ul>
    </nav>
  );
}
