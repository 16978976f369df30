// What the thread shows of a message's attachments, from either source: a stored message's
// `attachments` (CONTRACT section 11: images by hash, served at /api/attachments/{sha256}) or an
// outbox item's queued inputs (images still as base64). Pure; the shapes are checked because a
// message comes from the server as untyped JSON.

import type { AttachmentInput } from '../../net/api';
import { base64Bytes, baseName, dataUrl } from './limits';

export interface ShownAttachment {
  key: string;
  kind: 'image' | 'file';
  name: string;
  size: number | null;
  /** For images: the path of the bytes under the app base (stored) or a data: URL (queued). */
  src: string | null;
  /** A file's full path, shown as its tooltip. */
  path: string | null;
}

const SHA256 = /^[0-9a-f]{64}$/;
const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/** A stored message's attachments; malformed entries are left out. */
export function storedAttachments(message: unknown): ShownAttachment[] {
  const list = (message as { attachments?: unknown } | null)?.attachments;
  if (!Array.isArray(list)) return [];
  const out: ShownAttachment[] = [];
  list.forEach((a: Record<string, unknown> | null, i) => {
    if (!a || typeof a !== 'object') return;
    if (a.type === 'image' && typeof a.sha256 === 'string' && SHA256.test(a.sha256)) {
      out.push({
        key: `${i}-${a.sha256}`,
        kind: 'image',
        name: str(a.name) ?? 'image',
        size: typeof a.size === 'number' ? a.size : null,
        // Built from the hash under this app's base (BASE_URL), not taken from `url` as given.
        src: `api/attachments/${a.sha256}`,
        path: null,
      });
    } else if (a.type === 'file' && str(a.path)) {
      const path = a.path as string;
      out.push({
        key: `${i}-${path}`,
        kind: 'file',
        name: str(a.name) ?? baseName(path),
        size: null,
        src: null,
        path,
      });
    }
  });
  return out;
}

/** An outbox item's attachments, as they will be sent. */
export function queuedAttachments(inputs: readonly AttachmentInput[] | undefined): ShownAttachment[] {
  return (inputs ?? []).map((a, i) =>
    a.type === 'image'
      ? {
          key: `q${i}`,
          kind: 'image',
          name: a.name ?? 'image',
          size: base64Bytes(a.data),
          src: dataUrl(a),
          path: null,
        }
      : { key: `q${i}`, kind: 'file', name: baseName(a.path), size: null, src: null, path: a.path },
  );
}
