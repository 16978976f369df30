import { type TerminalView, terminalsOf, type ToolCallView } from '../../state/session';
import type { ToolCallContentItem, ToolLocation } from '../../types';
import { openFile } from '../../workspace/state';
import { DiffView } from './DiffView';
import { Icon, type IconName } from '../Icon';
import { TerminalOutput } from '../terminal-output/TerminalOutput';
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

function ContentItem({
  item,
  terminals,
}: {
  item: ToolCallContentItem;
  terminals: Record<string, TerminalView>;
}) {
  if (item.type === 'diff')
    return <DiffView path={item.path} oldText={item.oldText} newText={item.newText} />;
  if (item.type === 'terminal') {
    const t = item.terminalId ? terminals[item.terminalId] : undefined;
    // Its output arrives as terminal_output events: shown live; older turns show it once opened.
    return t ? <TerminalOutput terminal={t} /> : <p class="muted">No output yet.</p>;
  }
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

export function ToolCallCard({
  tool,
  terminals = {},
}: {
  tool: ToolCallView;
  /** The turn's command outputs (SessionView.terminals): those of this call are shown in it. */
  terminals?: Record<string, TerminalView>;
}) {
  const hasDiff = tool.content.some((c) => c.type === 'diff');
  const outputs = terminalsOf(tool, terminals);
  // Outputs the agent tied to the call by id (`_meta` terminals) rather than in its content.
  const extra = outputs.filter(
    (t) => !tool.content.some((c) => c.type === 'terminal' && c.terminalId === t.terminalId),
  );
  const hasBody =
    tool.content.length > 0 || tool.locations.length > 0 || tool.rawInput !== undefined || outputs.length > 0;
  // The files the call touched: its locations, else the paths of its diffs.
  const links: ToolLocation[] = tool.locations.length
    ? tool.locations
    : tool.content.flatMap((c) => (c.type === 'diff' && c.path ? [{ path: c.path }] : []));
  const icon: IconName = KIND_ICON[tool.kind] ?? 'tool';
  return (
    <details
      class={`tool tool-${tool.status}`}
      open={hasDiff || outputs.length > 0}
      data-tool-call-id={tool.toolCallId}
    >
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
                  <button
                    type="button"
                    class="link-btn tool-path"
                    title="Open the file"
                    onClick={() => openFile(l.path, l.line ?? null)}
                  >
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
            <ContentItem item={c} terminals={terminals} key={i} />
          ))}
          {extra.map((t) => (
            <TerminalOutput key={t.terminalId} terminal={t} />
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
