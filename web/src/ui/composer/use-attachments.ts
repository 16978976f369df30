// The composer's attachments before sending: images pasted, dropped or picked (read, checked against
// the server's limits, kept as base64 so the outbox can store them as they will be sent), and files
// of the conversation's folder mentioned with @. Kept per conversation for this page's lifetime, so
// switching conversations does not lose them; not in sessionStorage (too small for pictures).

import { useEffect, useState } from 'preact/hooks';
import {
  baseName,
  cannotAdd,
  checkImage,
  type DraftAttachment,
  imageDraft,
  notAnImage,
  tooLargeToRead,
} from '../attachments/limits';
import { fitPhoto } from '../attachments/fit-photo';

const drafts = new Map<string, DraftAttachment[]>();
let nextId = 0;

export interface Attachments {
  items: DraftAttachment[];
  /** The last refusal, in words; null when there is none to show. */
  error: string | null;
  addFiles(files: readonly File[]): Promise<void>;
  addFolderFile(path: string, size: number | null): void;
  remove(id: string): void;
  /** After sending: the next message starts empty. */
  clear(): void;
  dismissError(): void;
}

export function useAttachments(convId: string | null): Attachments {
  const [items, setItems] = useState<DraftAttachment[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setItems(convId ? (drafts.get(convId) ?? []) : []);
    setError(null);
  }, [convId]);

  const save = (next: DraftAttachment[]) => {
    if (convId) {
      if (next.length) drafts.set(convId, next);
      else drafts.delete(convId);
    }
    setItems(next);
  };

  const addAll = (current: DraftAttachment[], add: DraftAttachment[], errors: string[]) => {
    let next = current;
    for (const d of add) {
      const why = cannotAdd(next, d);
      if (why) errors.push(why);
      else next = [...next, d];
    }
    return next;
  };

  return {
    items,
    error,
    async addFiles(files) {
      const cid = convId;
      if (!cid || !files.length) return;
      const errors: string[] = [];
      const read: DraftAttachment[] = [];
      for (const original of files) {
        const name = original.name || '';
        // A large camera photo is redrawn smaller first (fit-photo.ts), so it is not refused as too big.
        const f =
          (await fitPhoto(original, new Uint8Array(await original.slice(0, 3).arrayBuffer()))) ?? original;
        const big = tooLargeToRead(name || 'The image', f.size);
        if (big) {
          errors.push(big);
          continue;
        }
        // A type the browser knows is not an image is refused without reading it.
        if (f.type && !f.type.startsWith('image/')) {
          errors.push(notAnImage(name || 'The item'));
          continue;
        }
        try {
          const checked = checkImage(name, new Uint8Array(await f.slice(0, 16).arrayBuffer()), f.size);
          if ('error' in checked) errors.push(checked.error);
          else read.push(imageDraft(`a${nextId++}`, checked, f.size, await readBase64(f)));
        } catch {
          errors.push(`${name || 'The item'} could not be read.`);
        }
      }
      // Reading took a while: add to what the conversation holds now.
      const next = addAll(drafts.get(cid) ?? [], read, errors);
      if (cid === convId) save(next);
      else if (next.length) drafts.set(cid, next);
      setError(errors.length ? errors.join(' ') : null);
    },
    addFolderFile(path, size) {
      const errors: string[] = [];
      const d: DraftAttachment = {
        id: `a${nextId++}`,
        name: baseName(path),
        size,
        input: { type: 'file', path },
      };
      save(addAll(items, [d], errors));
      setError(errors.length ? errors.join(' ') : null);
    },
    remove(id) {
      save(items.filter((a) => a.id !== id));
      setError(null);
    },
    clear() {
      save([]);
      setError(null);
    },
    dismissError() {
      setError(null);
    },
  };
}

/** The file's bytes in base64, encoded by the browser off the main thread's hot path. */
function readBase64(f: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const url = String(r.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    r.onerror = () => reject(r.error);
    r.readAsDataURL(f);
  });
}
