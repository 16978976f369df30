import type { ToolCallView } from '../../state/session';
import type { ToolCallContentItem, ToolLocation } from '../../types';
import { openFile } from '../../workspace/state';
import { DiffView } from './DiffView';
import { Icon, type IconName } from '../Icon';
import './tool-call.css';

const KIND_ICON: Record<string, IconName> = {
  read: 'file',
  edit: 'pencil',
  delete: 'trash',
  move: 'move',
  search: 'search',
  execute: 'terminal',
  think: 'think',
  fetch: 'globe',
  switch_mode: 'move',
  other: 'tool',
};

function ContentItem({ item }: { item: ToolCallContentItem }) {
  if (item.type === 'diff')
    return <DiffView path={item.path} oldText={item.oldText} newText={item.newText} />;
  if (item.type === 'terminal') return <p class="muted">Terminal output ({item.terminalId})</p>;
  const c = item.content;
  if (c?.type === 'text' && typeof c.text === 'string') return <pre class="tool-text">{c.text}</pre>;
  if (c?.type === 'resource_link')
    return (
      <p class="muted">
        <Icon name="link" /> {c.name ?? c.uri}
      </p>
    );
  if (c?.type) return <p class="muted">[{c.type}]</p>;
  return null;
}

export function statusLabel(status: string): string {
  switch (status) {
    case 'pending':
      return 'pending';
    case 'in_progress':
      return 'running';
    case 'completed':
      return 'done';
    case 'failed':
      return 'failed';
    default:
      return status;
  }
}

export function ToolCallCard({ tool }: { tool: ToolCallView }) {
  const hasDiff = tool.content.some((c) => c.type === 'diff');
  const hasBody = tool.content.length > 0 || tool.locations.length > 0 || tool.rawInput !== undefined;
  // The files the call touched: its locations, else the paths of its diffs.
  const links: ToolLocation[] = tool.locations.length
    ? tool.locations
    : tool.content.flatMap((c) => (c.type === 'diff' && c.path ? [{ path: c.path }] : []));
  const icon: IconName = KIND_ICON[tool.kind] ?? 'tool';
  return (
    <details class={`tool tool-${tool.status}`} open={hasDiff} data-tool-call-id={tool.toolCallId}>
      <summary>
        <span class="tool-icon">
          <Icon name={icon} />
        </span>
        <span class="tool-title">{tool.title}</span>
        <span class="tool-kind">{tool.kind}</span>
        <span class={`pill pill-${tool.status}`}>{statusLabel(tool.status)}</span>
      </summary>
      {hasBody ? (
        <div class="tool-body">
          {links.length ? (
            <ul class="tool-locations" aria-label="Locations">
              {links.map((l, i) => (
                <li key={i}>
                  {/* Opens the file at the line in the workspace panel (web/src/workspace). */}
                  <button type="button" class="link-btn tool-path" title="Open the file" onClick={() => openFile(l.path, l.line ?? null)}>
                    <code>
                      {l.path}
                      {l.line ? `:${l.line}` : ''}
                    </code>
                  </button>
                </li>
              ))}
            </ul>
          ) : null}
          {tool.content.map((c, i) => (
            <ContentItem item={c} key={i} />
          ))}
          {tool.rawInput !== undefined && !hasDiff ? (
            <details class="raw">
              <summary>Input</summary>
              <pre>{JSON.stringify(tool.rawInput, null, 2)}</pre>
            </details>
          ) : null}
        </div>
      ) : null}
    </details>
  );
}
