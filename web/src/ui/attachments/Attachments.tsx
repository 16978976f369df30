// Attachments on screen: the composer's previews (removable before sending) and a message's
// attachments in the thread (images inline, files as chips). Stored images load from
// GET /api/attachments/{sha256} under the app base; the HttpOnly session cookie the app's API calls
// use authorizes them as it does every request of this origin.

import { apiUrl } from '../../net/base';
import { useClient } from '../../lib/use-app';
import { Icon } from '../Icon';
import { type DraftAttachment, formatSize } from './limits';
import type { ShownAttachment } from './shown';
import './attachments.css';

/** A paperclip. */
export function ClipIcon({ size = 18 }: { size?: number }) {
  return <Icon name="clip" size={size} />;
}

/** The composer's attachments, each with a remove button. */
export function DraftChips({
  items,
  onRemove,
}: {
  items: DraftAttachment[];
  onRemove: (id: string) => void;
}) {
  if (!items.length) return null;
  return (
    <ul class="att-drafts" aria-label="Attachments">
      {items.map((a) => {
        const src = a.input.type === 'image' ? `data:${a.input.mimeType};base64,${a.input.data}` : null;
        return (
          <li key={a.id} class={`att-draft ${src ? 'image' : 'file'}`} data-attachment-name={a.name}>
            {src ? (
              <img src={src} alt="" class="att-thumb" />
            ) : (
              <span class="att-file-icon">
                <Icon name="file" size={16} />
              </span>
            )}
            <span class="att-meta">
              <span class="att-name" title={a.input.type === 'file' ? a.input.path : a.name}>
                {a.name}
              </span>
              {a.size !== null ? <span class="att-size">{formatSize(a.size)}</span> : null}
            </span>
            <button
              type="button"
              class="att-remove"
              aria-label={`Remove ${a.name}`}
              title="Remove"
              onClick={() => onRemove(a.id)}
            >
              ×
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** A message's attachments in the thread. */
export function MessageAttachments({ list }: { list: ShownAttachment[] }) {
  const client = useClient();
  if (!list.length) return null;
  const url = (src: string) => (src.startsWith('data:') ? src : apiUrl(client.base, src));
  return (
    <div class="att-list">
      {list.map((a) =>
        a.kind === 'image' && a.src ? (
          <a
            key={a.key}
            class="att-image"
            href={url(a.src)}
            target="_blank"
            rel="noopener noreferrer"
            title={a.size !== null ? `${a.name} (${formatSize(a.size)})` : a.name}
          >
            {/* A fixed height keeps the row's height stable while the image loads. */}
            <img src={url(a.src)} alt={a.name} loading="lazy" decoding="async" />
          </a>
        ) : (
          <span key={a.key} class="att-chip" title={a.path ?? a.name}>
            <Icon name="file" size={14} />
            <span class="att-name">{a.name}</span>
            {a.size !== null ? <span class="att-size">{formatSize(a.size)}</span> : null}
          </span>
        ),
      )}
    </div>
  );
}
