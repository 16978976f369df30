// The app's controller (docs/DESIGN.md, "the web client's one state"): one store, the REST
// client, and the parts that change the state — opening conversations (ConversationLoader), the
// two WebSockets (LiveUpdates), sending (Sender), turn actions and notices. Components read the
// store and call these; the conversation list's own actions (create, rename, delete, search) are
// here.

import { errText, statusOf } from '../lib/errors';
import { Api } from '../net/api';
import { appBase } from '../net/base';
import { mergeSnapshot, remove, upsert } from '../state/conversations';
import { setConversation } from '../state/conversation';
import { Store } from '../state/store';
import type { Conversation } from '../types';
import { type AppState, initialState } from './app-state';
import { ConversationLoader, type LoaderHost } from './conversation-loader';
import { type LiveHost, LiveUpdates } from './live-updates';
import { Notices } from './notices';
import { Sender, type SenderHost } from './sender';
import { TurnActions } from './turn-actions';

export class Client implements LoaderHost, LiveHost, SenderHost {
  readonly store = new Store<AppState>(initialState);
  readonly base: URL;
  readonly api: Api;
  readonly notices = new Notices(this.store);
  // The parts reach each other through this object (each sees only what its Host type names).
  readonly loader: ConversationLoader = new ConversationLoader(this);
  readonly live: LiveUpdates = new LiveUpdates(this);
  readonly sender: Sender = new Sender(this);
  readonly turns: TurnActions = new TurnActions(this);
  private startRetry: ReturnType<typeof setTimeout> | null = null;
  /** The page was opened with a token: a 401 then means that token was refused, not "no token". */
  private hadToken = false;

  constructor(href: string = location.href) {
    this.base = appBase(href);
    this.api = new Api({ base: this.base, onUnauthorized: () => this.signedOut() });
  }

  // ---- start-up and auth ----

  async start(): Promise<void> {
    this.hadToken = stripTokenFromUrl();
    addEventListener('online', () => {
      this.store.set({ online: true });
      this.sender.wake();
    });
    addEventListener('offline', () => this.store.set({ online: false }));
    addEventListener('hashchange', () => this.routeFromHash());
    // The conversation in the address bar loads in parallel with the sidebar: first screen sooner.
    this.routeFromHash();
    await this.boot(0);
  }

  private async boot(attempt: number): Promise<void> {
    const r = await this.api.raw('GET', 'api/conversations');
    if (r.status === 401) return; // signedOut() already switched the screen
    if (r.status !== 200) {
      // Server down or restarting: say so and keep trying; the page works once it is back.
      this.store.set({ auth: 'unreachable' });
      this.startRetry = setTimeout(() => void this.boot(attempt + 1), Math.min(10_000, 500 * 2 ** attempt));
      return;
    }
    const conversations = (r.body as { conversations?: Conversation[] }).conversations ?? [];
    this.store.set((s) => ({ auth: 'ok', list: mergeSnapshot(s.list, conversations), listLoaded: true }));
    this.live.startSync();
    void this.loadAgents();
    await this.sender.start();
    // A load that failed while the server was unreachable is retried by the loader itself.
  }

  signedOut(): void {
    this.live.close();
    if (this.startRetry) clearTimeout(this.startRetry);
    this.store.set({ auth: 'unauthorized', tokenRejected: this.hadToken });
  }

  // ---- which conversation is open ----

  private routeFromHash(): void {
    const m = /^#\/c\/([^/?#]+)/.exec(location.hash);
    const id = m ? decodeURIComponent(m[1] as string) : null;
    if (id !== this.store.get().selectedId) this.select(id, false);
  }

  select(id: string | null, updateHash = true): void {
    const s = this.store.get();
    if (id === s.selectedId && s.viewStatus !== 'error') return;
    this.live.closeStream();
    if (updateHash) {
      const hash = id ? `#/c/${encodeURIComponent(id)}` : '#/';
      if (location.hash !== hash) history.pushState(null, '', hash);
    }
    this.loader.open(id);
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
        if (statusOf(e) !== 412) throw e;
        const fresh = await this.api.getConversation(id);
        r = await this.api.updateConversation(id, { title }, fresh.conversation.version);
      }
      this.applyConversation(r.conversation);
    } catch (e) {
      this.notices.failed('rename', e);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.api.deleteConversation(id);
    } catch (e) {
      if (statusOf(e) !== 404) {
        this.notices.failed('delete', e);
        return;
      }
    }
    this.store.set((s) => ({ list: remove(s.list, id) }));
    this.sender.discardConversation(id, true);
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

  /** Sets one of the agent's config options (model, effort, …); every tab follows the events. */
  async setConfig(configId: string, value: string | boolean): Promise<void> {
    const v = this.store.get().view;
    if (!v) return;
    try {
      const { conversation } = await this.api.setConfig(v.id, configId, value);
      this.applyConversation(conversation);
    } catch (e) {
      this.notices.failed('change the setting', e);
    }
  }

  /** Switches the agent's mode; every tab follows the `conversation_updated` / `mode` events. */
  async setMode(modeId: string): Promise<void> {
    const v = this.store.get().view;
    if (!v) return;
    try {
      const { conversation } = await this.api.setMode(v.id, modeId);
      this.applyConversation(conversation);
    } catch (e) {
      this.notices.failed('switch the mode', e);
    }
  }

  /** A conversation the server returned: in the list, and in the view when it is the open one. */
  private applyConversation(conversation: Conversation): void {
    this.store.set((s) => ({
      list: upsert(s.list, conversation),
      view: s.view?.id === conversation.id ? setConversation(s.view, conversation) : s.view,
    }));
  }
}

/** The token in the address bar did its job (the server set the cookie): do not leave it in history. */
function stripTokenFromUrl(): boolean {
  const u = new URL(location.href);
  if (!u.searchParams.has('token')) return false;
  u.searchParams.delete('token');
  history.replaceState(history.state, '', u.pathname + (u.search === '?' ? '' : u.search) + u.hash);
  return true;
}
