// The two WebSockets (CONTRACT section 5): /sync keeps the sidebar's list current, /stream the
// open conversation. Frames are batched: many events, one render (one store update per 16 ms).

import { wsUrl } from '../net/base';
import { EventSocket } from '../net/socket';
import { applyEvents, type ConversationView } from '../state/conversation';
import { applySyncEvent, mergeSnapshot } from '../state/conversations';
import { searchableText } from '../state/timeline';
import type { GmEvent } from '../types';
import type { AppState, Core } from './app-state';
import type { ConversationLoader } from './conversation-loader';
import type { Sender } from './sender';

export interface LiveHost extends Core {
  /** The app's base URL, which the socket URLs are relative to. */
  readonly base: URL;
  readonly loader: Pick<ConversationLoader, 'isCurrent' | 'hydrateIncomplete'>;
  /** Woken when a socket (re)opens; told about conversations deleted elsewhere. */
  readonly sender: Pick<Sender, 'wake' | 'discardConversation'>;
  select(id: string | null): void;
}

export class LiveUpdates {
  private sync: EventSocket | null = null;
  private stream: EventSocket | null = null;
  private syncQueue: GmEvent[] = [];
  private streamQueue: GmEvent[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly c: LiveHost) {}

  /** /sync: every conversation's changes, from the list's cursor. */
  startSync(): void {
    const { store, base } = this.c;
    this.sync?.close();
    this.sync = new EventSocket({
      url: () => {
        const c = store.get().list.cursor;
        return wsUrl(base, c > 0 ? `sync?after=${c}` : 'sync');
      },
      onEvent: (ev) => this.enqueue(this.syncQueue, ev),
      onState: (syncConn) => store.set({ syncConn }),
      // The log is not the one this page read (the server's data was replaced): start over from it.
      onRefused: () => location.reload(),
      onOpen: () => {
        // Without a cursor the socket only carries live events: a snapshot taken now covers
        // anything that happened before it opened.
        if (store.get().list.cursor === 0) void this.refreshList();
        this.c.sender.wake();
      },
    });
  }

  private async refreshList(): Promise<void> {
    try {
      const { conversations } = await this.c.api.listConversations();
      this.c.store.set((s) => ({ list: mergeSnapshot(s.list, conversations), listLoaded: true }));
    } catch {
      // The socket's reconnect loop will try again.
    }
  }

  /** /stream: the open conversation's events after the snapshot's cursor. */
  openStream(id: string, token: number): void {
    const { store, base, loader } = this.c;
    this.stream?.close();
    this.stream = new EventSocket({
      url: () => {
        const v = store.get().view;
        const after = v && v.id === id ? v.cursor : 0;
        return wsUrl(base, `stream?conversationId=${encodeURIComponent(id)}&after=${after}`);
      },
      onEvent: (ev) => {
        if (loader.isCurrent(token)) this.enqueue(this.streamQueue, ev);
      },
      onState: (streamConn) => {
        if (loader.isCurrent(token)) store.set({ streamConn });
      },
      onOpen: () => this.c.sender.wake(),
      onRefused: (code) => {
        if (!loader.isCurrent(token)) return;
        if (code === 4409) location.reload();
        // 4404: the conversation is gone (deleted in another tab); 4400: nothing a retry would fix.
        else location.hash = '#/';
      },
    });
  }

  /** Another conversation is about to open: the current one's pending events no longer apply. */
  closeStream(): void {
    this.stream?.close();
    this.stream = null;
    this.streamQueue = [];
  }

  /** Signed out: nothing more can be read. */
  close(): void {
    this.sync?.close();
    this.stream?.close();
    this.sync = null;
    this.stream = null;
  }

  private enqueue(queue: GmEvent[], ev: GmEvent): void {
    queue.push(ev);
    if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), 16);
  }

  private flush(): void {
    const { store } = this.c;
    this.flushTimer = null;
    const syncEvents = this.syncQueue;
    const streamEvents = this.streamQueue;
    this.syncQueue = [];
    this.streamQueue = [];
    const s = store.get();
    let list = s.list;
    const selected = s.selectedId;
    for (const ev of syncEvents) list = applySyncEvent(list, ev);
    let view = s.view;
    if (view && streamEvents.length) view = applyEvents(view, streamEvents);
    const patch: Partial<AppState> = { list };
    if (view !== s.view && view) {
      patch.view = view;
      // Re-index only when messages changed, not on every streamed chunk.
      if (view.messages !== s.view?.messages)
        patch.contentIndex = { ...s.contentIndex, [view.id]: searchableText(view) };
      // A permission answered (here or elsewhere) is no longer "being answered".
      patch.answering = pruneAnswering(s.answering, view);
      // Running turns whose beginning this page never saw get their full history.
      this.c.loader.hydrateIncomplete(view);
    }
    store.set(patch);
    for (const ev of syncEvents) {
      // Deleted elsewhere: what waited to be sent there never will be.
      if (ev.type === 'conversation_deleted' && ev.conversationId)
        this.c.sender.discardConversation(ev.conversationId);
    }
    if (selected && (list.deleted[selected] || view?.deleted)) {
      this.c.notices.notify('This conversation was deleted.', 'info');
      this.c.select(null);
    }
  }
}

/** The answers in flight whose permission request is still open in the view. */
export function pruneAnswering(
  answering: Record<string, string>,
  view: ConversationView,
): Record<string, string> {
  const keys = Object.keys(answering);
  if (!keys.length) return answering;
  const open = new Set<string>();
  for (const sid of view.sessionOrder)
    for (const p of view.sessions[sid]?.permissions ?? []) open.add(p.requestId);
  const next: Record<string, string> = {};
  for (const k of keys) if (open.has(k)) next[k] = answering[k] as string;
  return Object.keys(next).length === keys.length ? answering : next;
}
