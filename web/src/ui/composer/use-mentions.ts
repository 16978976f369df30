// `@` suggestions in the composer (web/src/ui/attachments/mention.ts): lists the conversation's
// folder one level at a time as a path is typed; taking a file attaches it, taking a folder goes
// into it. Listings are kept per conversation and folder while the composer shows the conversation.

import { useEffect, useState } from 'preact/hooks';
import { useClient } from '../../lib/use-app';
import { WorkspaceApi } from '../../workspace/api';
import {
  type FolderEntry,
  matchEntries,
  mentionAt,
  type MentionQuery,
  takeEntry,
} from '../attachments/mention';

type Listing = FolderEntry[] | 'loading' | 'failed';

export interface Mentions {
  query: MentionQuery | null;
  items: FolderEntry[];
  active: number;
  /** Keys the list handles (arrows, Tab, Enter, Esc); true when the key was used. */
  key(e: KeyboardEvent): boolean;
  take(e: FolderEntry): void;
}

export function useMentions(
  convId: string | null,
  text: string,
  caret: number,
  setText: (text: string, caret: number) => void,
  attach: (path: string, size: number | null) => void,
): Mentions {
  const client = useClient();
  const [listings, setListings] = useState<Map<string, Listing>>(new Map());
  const [pick, setPick] = useState(0);
  const [dismissedAt, setDismissedAt] = useState<number | null>(null);

  const found = convId ? mentionAt(text, caret) : null;
  // Listed afresh for each new mention and conversation: the agent may have made files meanwhile.
  useEffect(() => {
    if (!found) setListings((m) => (m.size ? new Map() : m));
  }, [convId, !found]);

  const query = found && found.start !== dismissedAt ? found : null;
  // Keyed by conversation too, so another conversation's listing is never shown.
  const listKey = query ? `${convId}\n${query.dir}` : '';
  const listing = query ? listings.get(listKey) : undefined;

  useEffect(() => {
    if (!convId || !query || listing !== undefined) return;
    const key = listKey;
    setListings((m) => new Map(m).set(key, 'loading'));
    new WorkspaceApi(client.api, convId).tree(query.dir).then(
      (r) => setListings((m) => new Map(m).set(key, r.entries)),
      () => setListings((m) => new Map(m).set(key, 'failed')),
    );
  }, [listKey, listing === undefined]);

  useEffect(() => setPick(0), [query?.dir, query?.prefix]);

  const items = query && Array.isArray(listing) ? matchEntries(listing, query.prefix) : [];
  const active = items.length ? Math.min(pick, items.length - 1) : -1;

  const take = (e: FolderEntry) => {
    if (!query) return;
    const next = takeEntry(text, query, e);
    setText(next.text, next.caret);
    if (e.type === 'file') attach(e.path, e.size ?? null);
  };

  return {
    query,
    items,
    active,
    take,
    key(e) {
      const it = items[active];
      if (!query || !it) return false;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        const n = items.length;
        setPick((active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
        return true;
      }
      if (e.key === 'Escape') {
        setDismissedAt(query.start);
        return true;
      }
      if (e.key === 'Tab' || (e.key === 'Enter' && !e.shiftKey)) {
        take(it);
        return true;
      }
      return false;
    },
  };
}
