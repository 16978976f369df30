import { useClient } from '../../lib/use-app';
import { apiUrl } from '../../net/base';
import { Icon } from '../Icon';
import './export-menu.css';

// "Export" in the conversation header (docs/CONTRACT.md "Export and import"): the conversation as
// Markdown to read, or as JSONL to import into another gmgui. Plain links: the browser downloads the
// file with the session cookie, streamed, however long the conversation is.

export function ExportMenu({ conversationId }: { conversationId: string }) {
  const client = useClient();
  const href = (format: 'markdown' | 'jsonl') =>
    apiUrl(client.base, `/api/conversations/${encodeURIComponent(conversationId)}/export?format=${format}`);
  const close = (e: Event) => (e.currentTarget as HTMLElement).closest('details')?.removeAttribute('open');
  return (
    <details class="export-menu" data-export-menu>
      <summary class="icon-btn" aria-label="Export this conversation" title="Export">
        <Icon name="file" size={20} />
      </summary>
      <div class="export-menu-list" role="menu">
        <a role="menuitem" href={href('markdown')} download onClick={close}>
          Export as Markdown
        </a>
        <a role="menuitem" href={href('jsonl')} download onClick={close}>
          Export as JSONL (to import)
        </a>
      </div>
    </details>
  );
}
