// The app's controller: owns the store, the REST client, the two WebSockets (/sync for the
// sidebar, /stream for the open conversation) and the outbox, and exposes the user's actions.
// Components read the store and call these methods; all state changes go through here.

import { Api, ApiError, type SendMessageBody } from './net/api';
import { appBase, wsUrl } from './net/base';
import { type ConnState, EventSocket } from './net/socket';
import type { OutboxItem } from './outbox/core';
import { idbStorage } from './outbox/idb';
import { Outbox } from './outbox/outbox';
import {
  addMessage,
  addSessionRow,
  addSessionRows,
  applyEvents,
  type ConversationView,
  hydrateSession,
  initView,
  prependMessages,
  setConversation,
} from './state/conversation';
import {
  applySyncEvent,
  emptyList,
  type ListState,
  mergeSnapshot,
  remove,
  upsert,
} from './state/conversations';
import { isActive } from './state/session';
import { Store } from './state/store';
import { completedFromMessages, newestFirst, unknownSessions } from './state/history';
import { searchableText } from './state/timeline';
import type { Agent, Conversation, GmEvent, Session } from './types';

export type ViewStatus = 'idle' | 'loading' | 'ready' | 'missing' | 'error';

export interface Notice {
  id: number;
  text: string;
  kind: 'info' | 'error';
}

export interface AppState {
  auth: 'checking' | 'ok' | 'unauthorized' | 'unreachable';
  list: ListState;
  listLoaded: boolean;
  syncConn: ConnState;
  selectedId: string | null;
  view: ConversationView | null;
  viewStatus: ViewStatus;
  viewError: string;
  streamConn: ConnState;
  /** Loading of older history pages of the open conversation. */
  older: 'idle' | 'loading' | 'error';
  outbox: OutboxItem[];
  outboxPersistent: boolean;
  agents: Agent[] | null;
  agentsError: string;
  /** Server-side search results (`?q=`), for the query they answer. */
  searchHits: { q: string; ids: ReadonlySet<string> } | null;
  /** Lower-cased text of conversations loaded in this tab, for client-side content search. */
  contentIndex: Record<string, string>;
  /** Permission requests this tab is answering (buttons disabled until the event says so). */
  answering: Record<string, string>;
  notices: Notice[];
  online: boolean;
  newDialogOpen: boolean;
}

const initial: AppState = {
  auth: 'checking',
  list: emptyList,
  listLoaded: false,
  syncConn: { kind: 'connecting', attempt: 0 },
  selectedId: null,
  view: null,
  viewStatus: 'idle',
  viewError: '',
  streamConn: { kind: 'closed' },
  older: 'idle',
  outbox: [],
  outboxPersistent: true,
  agents: null,
  agentsError: '',
  searchHits: null,
  contentIndex: {},
  answering: {},
  notices: [],
  online: typeof navigator === 'undefined' ? true : navigator.onLine,
  newDialogOpen: false,
};

/** Session states listed when a conversation opens (completed ones are inferred from messages). */
const NOT_COMPLETED = ['pending', 'processing', 'error', 'cancelled', 'interrupted'] as const;

/**
 * Messages per history page. The first screen needs only the newest ones: a 5,000-message
 * conversation opens with one small page instead of its whole history.
 */
export const PAGE_SIZE = 50;

export class Client {
  readonly store = new Store<AppState>(initial);
  readonly api: Api;
  private readonly base: URL;
  private sync: EventSocket | null = null;
  private stream: EventSocket | null = null;
  private outbox: Outbox | null = null;
  private syncQueue: GmEvent[] = [];
  private streamQueue: GmEvent[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** Incremented on every conversation switch; stale async loads compare and give up. */
  private openToken = 0;
  private noticeId = 0;
  private startRetry: ReturnType<typeof setTimeout> | null = null;
  private hydrating = new Set<string>();
  /** Tells the other tabs that the shared outbox changed. */
  private broadcast: () => void = () => undefined;

  constructor(href: string = location.href) {
    this.base = appBase(href);
    this.api = new Api({ base: this.base, onUnauthorized: () => this.unauthorized() });
  }

  // ---- start-up and auth ----

  async start(): Promise<void> {
    stripTokenFromUrl();
    addEventListener('online', () => {
      this.store.set({ online: true });
      this.outbox?.wake();
    });
    addEventListener('offline', () => this.store.set({ online: false }));
    addEventListener('hashchange', () => this.routeFromHash());
    // The conversation in the address bar loads in parallel with the sidebar: first screen sooner.
    this.routeFromHash();
    await this.boot(0);
  }

  private async boot(attempt: number): Promise<void> {
    const r = await this.api.raw('GET', 'api/conversations');
    if (r.status === 401) return; // unauthorized() already switched the screen
    if (r.status !== 200) {
      // Server down or restarting: say so and keep trying; the page works once it is back.
      this.store.set({ auth: 'unreachable' });
      this.startRetry = setTimeout(() => void this.boot(attempt + 1), Math.min(10_000, 500 * 2 ** attempt));
      return;
    }
    const conversations = (r.body as { conversations?: Conversation[] }).conversations ?? [];
    this.store.set((s) => ({ auth: 'ok', list: mergeSnapshot(s.list, conversations), listLoaded: true }));
    this.startSync();
    void this.loadAgents();
    await this.startOutbox();
    // A load that failed while the server was unreachable is retried by load() itself.
  }

  private unauthorized(): void {
    this.sync?.close();
    this.stream?.close();
    this.sync = null;
    this.stream = null;
    if (this.startRetry) clearTimeout(this.startRetry);
    this.store.set({ auth: 'unauthorized' });
  }

  // ---- /sync: the sidebar ----

  private startSync(): void {
    this.sync?.close();
    this.sync = new EventSocket({
      url: () => {
        const c = this.store.get().list.cursor;
        return wsUrl(this.base, c > 0 ? `sync?after=${c}` : 'sync');
      },
      onEvent: (ev) => this.enqueue(this.syncQueue, ev),
      onState: (syncConn) => this.store.set({ syncConn }),
      // The log is not the one this page read (the server's data was replaced): start over from it.
      onRefused: () => location.reload(),
      onOpen: () => {
        // Without a cursor the socket only carries live events: a snapshot taken now covers
        // anything that happened before it opened.
        if (this.store.get().list.cursor === 0) void this.refreshList();
        this.outbox?.wake();
      },
    });
  }

  async refreshList(): Promise<void> {
    try {
      const { conversations } = await this.api.listConversations();
      this.store.set((s) => ({ list: mergeSnapshot(s.list, conversations), listLoaded: true }));
    } catch {
      // The socket's reconnect loop will try again.
    }
  }

  // ---- event batching: many frames, one render ----

  private enqueue(queue: GmEvent[], ev: GmEvent): void {
    queue.push(ev);
    if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flushEvents(), 16);
  }

  private flushEvents(): void {
    this.flushTimer = null;
    const syncEvents = this.syncQueue;
    const streamEvents = this.streamQueue;
    this.syncQueue = [];
    this.streamQueue = [];
    const s = this.store.get();
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
      this.hydrateIncomplete(view);
    }
    this.store.set(patch);
    for (const ev of syncEvents) {
      if (ev.type === 'conversation_deleted' && ev.conversationId)
        void this.outbox?.discardConversation(ev.conversationId);
    }
    if (selected && (list.deleted[selected] || view?.deleted)) {
      this.notify('This conversation was deleted.', 'info');
      this.select(null);
    }
  }

  // ---- the open conversation ----

  private routeFromHash(): void {
    const m = /^#\/c\/([^/?#]+)/.exec(location.hash);
    const id = m ? decodeURIComponent(m[1] as string) : null;
    if (id !== this.store.get().selectedId) this.select(id, false);
  }

  select(id: string | null, updateHash = true): void {
    const s = this.store.get();
    if (id === s.selectedId && s.viewStatus !== 'error') return;
    this.stream?.close();
    this.stream = null;
    this.streamQueue = [];
    this.openToken++;
    if (updateHash) {
      const hash = id ? `#/c/${encodeURIComponent(id)}` : '#/';
      if (location.hash !== hash) history.pushState(null, '', hash);
    }
    this.store.set({
      selectedId: id,
      view: null,
      viewStatus: id ? 'loading' : 'idle',
      viewError: '',
      streamConn: { kind: 'closed' },
      older: 'idle',
    });
    if (id) void this.load(id, this.openToken, 0);
  }

  private async load(id: string, token: number, attempt: number): Promise<void> {
    try {
      // The cursor first: the snapshot read after it contains everything up to it, and the
      // stream from it delivers everything after (overlaps are deduplicated).
      const { lastSeq } = await this.api.events(id, 0, 1);
      // What the first screen needs, in one round trip: the newest page of messages and the latest
      // turn with its full history. Completed sessions are never fetched: their answer messages say
      // all the history needs. The states of other older turns arrive just after (fillHistory),
      // older pages as the reader scrolls up (loadOlder).
      const [conv, page, latest] = await Promise.all([
        this.api.getConversation(id),
        this.api.messagePage(id, PAGE_SIZE),
        this.api.latestSession(id).catch(() => null),
      ]);
      if (token !== this.openToken) return;
      const cursor = typeof lastSeq === 'number' ? lastSeq : 0;
      let view = initView(id, conv.conversation, page.messages, cursor, page.hasMore);
      view = addSessionRows(view, newestFirst(completedFromMessages(view)));
      if (latest?.session)
        view = hydrateSession(view, latest.session, latest.events ?? [], latest.session.id);
      this.store.set((s) => ({
        view,
        viewStatus: 'ready',
        list: upsert(s.list, conv.conversation),
        contentIndex: { ...s.contentIndex, [id]: searchableText(view) },
      }));
      this.openStream(id, token);
      void this.fillHistory(id, token);
    } catch (e) {
      if (token !== this.openToken) return;
      if (e instanceof ApiError && e.status === 404) {
        this.store.set({
          viewStatus: 'missing',
          viewError: 'This conversation does not exist (it may have been deleted).',
        });
        return;
      }
      if (e instanceof ApiError && e.status === 401) return;
      this.store.set({ viewStatus: 'loading', viewError: e instanceof Error ? e.message : String(e) });
      // Offline or server restarting: keep trying, the page stays usable.
      setTimeout(
        () => {
          if (token === this.openToken) void this.load(id, token, attempt + 1);
        },
        Math.min(10_000, 500 * 2 ** attempt),
      );
    }
  }

  /**
   * The turns the first screen did not explain: sessions in states other than completed (their
   * status, error and Retry button), and any session a message names that is still unknown.
   * Runs after the stream opened; per-session seq dedupe makes the order of arrival irrelevant.
   */
  private async fillHistory(id: string, token: number): Promise<void> {
    const lists = await Promise.all(
      NOT_COMPLETED.map((st) =>
        this.api.sessions(id, st).catch((): { sessions: Session[] } => ({ sessions: [] })),
      ),
    );
    if (token !== this.openToken) return;
    this.store.set((s) =>
      s.view?.id === id
        ? { view: addSessionRows(s.view, newestFirst(lists.flatMap((l) => l.sessions))) }
        : {},
    );
    const v = this.store.get().view;
    if (!v || v.id !== id) return;
    const wanted = new Set<string>();
    // Queued turns behind the latest one, and turns that ended between our reads.
    for (const sid of v.sessionOrder) {
      const sv = v.sessions[sid];
      if (sv && isActive(sv.status) && !sv.complete) wanted.add(sid);
    }
    await this.explainSessions(id, token, wanted);
  }

  /** Fetches the named sessions, plus those loaded user messages name that nothing explained. */
  private async explainSessions(id: string, token: number, wanted = new Set<string>()): Promise<void> {
    const v = this.store.get().view;
    if (!v || v.id !== id) return;
    for (const sid of unknownSessions(v).slice(-20)) wanted.add(sid);
    if (!wanted.size) return;
    const details = await Promise.all([...wanted].map((sid) => this.api.session(sid).catch(() => null)));
    if (token !== this.openToken) return;
    this.store.set((s) => {
      if (s.view?.id !== id) return {};
      let view = s.view;
      for (const d of details)
        if (d?.session) view = hydrateSession(view, d.session, d.events ?? [], d.session.id);
      return { view };
    });
  }

  /**
   * The page before the oldest loaded message, prepended. The timeline asks as the reader nears the
   * top and keeps the reading position itself. Events never add old messages (conversation.ts), so
   * the loaded messages stay one contiguous, ordered run.
   */
  async loadOlder(): Promise<void> {
    const s = this.store.get();
    const v = s.view;
    const oldest = v?.messages[0];
    if (!v || !oldest || !v.hasMore || s.older === 'loading') return;
    const token = this.openToken;
    this.store.set({ older: 'loading' });
    try {
      const page = await this.api.messagePage(v.id, PAGE_SIZE, oldest.id);
      if (token !== this.openToken) return;
      this.store.set((st) => {
        if (st.view?.id !== v.id || st.view.messages[0]?.id !== oldest.id) return { older: 'idle' };
        let view = prependMessages(st.view, page.messages, page.hasMore);
        view = addSessionRows(view, newestFirst(completedFromMessages(view)));
        return {
          view,
          older: 'idle',
          contentIndex: { ...st.contentIndex, [view.id]: searchableText(view) },
        };
      });
      await this.explainSessions(v.id, token);
    } catch (e) {
      if (token !== this.openToken) return;
      this.store.set({ older: 'error' });
      this.notify(`Could not load earlier messages: ${errText(e)}`, 'error');
    }
  }

  private openStream(id: string, token: number): void {
    this.stream?.close();
    this.stream = new EventSocket({
      url: () => {
        const v = this.store.get().view;
        const after = v && v.id === id ? v.cursor : 0;
        return wsUrl(this.base, `stream?conversationId=${encodeURIComponent(id)}&after=${after}`);
      },
      onEvent: (ev) => {
        if (token === this.openToken) this.enqueue(this.streamQueue, ev);
      },
      onState: (streamConn) => {
        if (token === this.openToken) this.store.set({ streamConn });
      },
      onOpen: () => this.outbox?.wake(),
      onRefused: (code) => {
        if (token !== this.openToken) return;
        if (code === 4409) location.reload();
        // 4404: the conversation is gone (deleted in another tab); 4400: nothing a retry would fix.
        else location.hash = '#/';
      },
    });
  }

  /** Sessions that are running but whose beginning we never saw get their full history. */
  private hydrateIncomplete(view: ConversationView): void {
    for (const sid of view.sessionOrder) {
      const s = view.sessions[sid];
      if (s && !s.complete && isActive(s.status)) void this.showDetails(sid);
    }
  }

  /** Loads the full event history of one turn (thoughts, tool calls, plan). */
  async showDetails(sessionId: string): Promise<void> {
    if (this.hydrating.has(sessionId)) return;
    this.hydrating.add(sessionId);
    const token = this.openToken;
    try {
      const d = await this.api.session(sessionId);
      if (token !== this.openToken) return;
      this.store.set((s) =>
        s.view ? { view: hydrateSession(s.view, d.session, d.events ?? [], sessionId) } : {},
      );
    } catch (e) {
      this.notify(`Could not load the details: ${errText(e)}`, 'error');
    } finally {
      this.hydrating.delete(sessionId);
    }
  }

  // ---- outbox ----

  private async startOutbox(): Promise<void> {
    const { storage, persistent } = await idbStorage();
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    this.outbox = new Outbox({
      storage,
      send: async (item) => {
        const r = await this.api.sendMessage(item.conversationId, item.content, item.key);
        const err = (r.body as { error?: string } | null)?.error;
        return {
          status: r.status,
          body: r.body,
          error: r.status === 0 ? 'No connection to the server' : err,
        };
      },
      onChange: (outbox) => this.store.set({ outbox }),
      onConfirmed: (item, body) => this.confirmed(item, body as SendMessageBody | null),
      onUnauthorized: () => this.unauthorized(),
      // The lock resolves with fn's promise, which is the same value once awaited.
      withLock: locks
        ? <T>(fn: () => Promise<T>) => locks.request('gmgui-outbox', fn) as Promise<T>
        : undefined,
    });
    this.store.set({ outboxPersistent: persistent });
    // Other tabs change the shared outbox too: re-read it when they say so.
    if (typeof BroadcastChannel !== 'undefined') {
      const ch = new BroadcastChannel('gmgui-outbox');
      ch.onmessage = () => void this.outbox?.reload();
      this.broadcast = () => ch.postMessage('changed');
    }
    await this.outbox.reload();
    this.outbox.kick();
  }

  private confirmed(item: OutboxItem, body: SendMessageBody | null): void {
    this.broadcast();
    if (!body?.message) return;
    this.store.set((s) => {
      if (!s.view || s.view.id !== item.conversationId) return {};
      let view = addMessage(s.view, body.message);
      if (body.session) view = addSessionRow(view, body.session);
      return { view };
    });
  }

  async send(text: string): Promise<void> {
    const s = this.store.get();
    const content = text.trim();
    if (!s.view || !content || !this.outbox) return;
    const last = s.view.messages[s.view.messages.length - 1];
    await this.outbox.enqueue(s.view.id, content, last?.id ?? null);
    this.broadcast();
  }

  retrySend(key: string): void {
    void this.outbox?.retry(key);
  }

  discardSend(key: string): void {
    void this.outbox?.discard(key).then(() => this.broadcast());
  }

  // ---- turn actions ----

  /** Stops the running turn of the open conversation (or the first queued one). */
  async stop(): Promise<void> {
    const v = this.store.get().view;
    if (!v) return;
    const order = v.sessionOrder.map((id) => v.sessions[id]).filter((x) => !!x);
    const target = order.find((x) => x.status === 'processing') ?? order.find((x) => x.status === 'pending');
    if (target) await this.cancel(target.id);
  }

  async cancel(sessionId: string): Promise<void> {
    try {
      await this.api.cancel(sessionId);
    } catch (e) {
      // 409: it already ended, which is what the user wanted.
      if (!(e instanceof ApiError && e.status === 409)) this.notify(`Could not stop: ${errText(e)}`, 'error');
    }
  }

  async answer(sessionId: string, requestId: string, optionId: string): Promise<void> {
    this.store.set((s) => ({ answering: { ...s.answering, [requestId]: optionId } }));
    try {
      await this.api.answerPermission(sessionId, requestId, optionId);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 409)) {
        this.notify(`Could not answer: ${errText(e)}`, 'error');
        this.store.set((s) => {
          const answering = { ...s.answering };
          delete answering[requestId];
          return { answering };
        });
      }
    }
  }

  async retryTurn(sessionId: string): Promise<void> {
    try {
      // A key derived from the session: a double click or a second tab retries it only once.
      const { session } = await this.api.retry(sessionId, `retry-${sessionId}`);
      this.store.set((s) => (s.view && session ? { view: addSessionRow(s.view, session) } : {}));
    } catch (e) {
      this.notify(`Could not retry: ${errText(e)}`, 'error');
    }
  }

  /** Switches the agent's mode; every tab follows the `conversation_updated` / `mode` events. */
  async setMode(modeId: string): Promise<void> {
    const v = this.store.get().view;
    if (!v) return;
    try {
      const { conversation } = await this.api.setMode(v.id, modeId);
      this.store.set((s) =>
        s.view?.id === conversation.id
          ? { view: setConversation(s.view, conversation), list: upsert(s.list, conversation) }
          : { list: upsert(s.list, conversation) },
      );
    } catch (e) {
      this.notify(`Could not switch the mode: ${errText(e)}`, 'error');
    }
  }

  // ---- conversations ----

  async loadAgents(): Promise<void> {
    try {
      const { agents } = await this.api.agents();
      this.store.set({ agents, agentsError: '' });
    } catch (e) {
      this.store.set({ agentsError: errText(e) });
    }
  }

  openNewDialog(open = true): void {
    this.store.set({ newDialogOpen: open });
    if (open) void this.loadAgents();
  }

  async create(
    agentId: string,
    cwd: string | undefined,
    title: string | undefined,
    key: string,
  ): Promise<void> {
    const body: { agentId: string; cwd?: string; title?: string } = { agentId };
    if (cwd) body.cwd = cwd;
    if (title?.trim()) body.title = title.trim();
    const { conversation } = await this.api.createConversation(body, key);
    this.store.set((s) => ({ list: upsert(s.list, conversation), newDialogOpen: false }));
    this.select(conversation.id);
  }

  async rename(id: string, title: string): Promise<void> {
    const c = this.store.get().list.byId[id];
    try {
      let r: { conversation: Conversation };
      try {
        r = await this.api.updateConversation(id, { title }, c?.version);
      } catch (e) {
        // 412: someone changed it meanwhile; the user's rename is the newer intent.
        if (!(e instanceof ApiError && e.status === 412)) throw e;
        const fresh = await this.api.getConversation(id);
        r = await this.api.updateConversation(id, { title }, fresh.conversation.version);
      }
      this.store.set((s) => ({
        list: upsert(s.list, r.conversation),
        view: s.view && s.view.id === id ? setConversation(s.view, r.conversation) : s.view,
      }));
    } catch (e) {
      this.notify(`Could not rename: ${errText(e)}`, 'error');
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.api.deleteConversation(id);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) {
        this.notify(`Could not delete: ${errText(e)}`, 'error');
        return;
      }
    }
    this.store.set((s) => ({ list: remove(s.list, id) }));
    void this.outbox?.discardConversation(id).then(() => this.broadcast());
    if (this.store.get().selectedId === id) this.select(null);
  }

  /** Server-side content search; results are kept for the query they answer. */
  async search(q: string): Promise<void> {
    const query = q.trim();
    if (query.length < 2) {
      this.store.set({ searchHits: null });
      return;
    }
    try {
      const { conversations } = await this.api.listConversations(query);
      this.store.set({ searchHits: { q: query, ids: new Set(conversations.map((c) => c.id)) } });
    } catch {
      this.store.set({ searchHits: null });
    }
  }

  // ---- notices ----

  notify(text: string, kind: Notice['kind'] = 'info'): void {
    const id = ++this.noticeId;
    this.store.set((s) => ({ notices: [...s.notices.slice(-3), { id, text, kind }] }));
    setTimeout(() => this.dismiss(id), kind === 'error' ? 8000 : 4000);
  }

  dismiss(id: number): void {
    this.store.set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
  }
}

function pruneAnswering(answering: Record<string, string>, view: ConversationView): Record<string, string> {
  const keys = Object.keys(answering);
  if (!keys.length) return answering;
  const open = new Set<string>();
  for (const sid of view.sessionOrder)
    for (const p of view.sessions[sid]?.permissions ?? []) open.add(p.requestId);
  const next: Record<string, string> = {};
  for (const k of keys) if (open.has(k)) next[k] = answering[k] as string;
  return Object.keys(next).length === keys.length ? answering : next;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The token in the address bar did its job (the server set the cookie): do not leave it in history. */
function stripTokenFromUrl(): void {
  const u = new URL(location.href);
  if (!u.searchParams.has('token')) return;
  u.searchParams.delete('token');
  history.replaceState(history.state, '', u.pathname + (u.search === '?' ? '' : u.search) + u.hash);
}
