// Opening a conversation and paging its history (web/README.md, "How state works"): the cursor
// first, then the newest page of messages with the latest turn, then the turns the first screen
// did not explain; older pages as the reader scrolls up, a turn's full events on demand.

import {
  addSessionRows,
  type ConversationView,
  hydrateSession,
  initView,
  prependMessages,
  setConversation,
} from '../state/conversation';
import { upsert } from '../state/conversations';
import { completedFromMessages, newestFirst, unknownSessions } from '../state/history';
import { isActive } from '../state/session';
import { searchableText } from '../state/timeline';
import type { Session } from '../types';
import type { Core } from './app-state';
import type { LiveUpdates } from './live-updates';
import { errText, statusOf } from '../lib/errors';

/**
 * Messages per history page. The first screen needs only the newest ones: a 5,000-message
 * conversation opens with one small page instead of its whole history.
 */
export const PAGE_SIZE = 50;

/** Session states listed when a conversation opens (completed ones are inferred from messages). */
const NOT_COMPLETED = ['pending', 'processing', 'error', 'cancelled', 'interrupted'] as const;

export interface LoaderHost extends Core {
  /** Streams what comes after the snapshot's cursor. */
  readonly live: Pick<LiveUpdates, 'openStream'>;
}

export class ConversationLoader {
  /** Incremented on every conversation switch; stale async loads compare and give up. */
  private token = 0;
  private hydrating = new Set<string>();

  constructor(private readonly c: LoaderHost) {}

  /** Whether `token` is still the opening of the conversation on screen. */
  isCurrent(token: number): boolean {
    return token === this.token;
  }

  /** Shows the conversation `id` (or none): the previous one's loads stop mattering. */
  open(id: string | null): void {
    const token = ++this.token;
    this.c.store.set({
      selectedId: id,
      view: null,
      viewStatus: id ? 'loading' : 'idle',
      viewError: '',
      streamConn: { kind: 'closed' },
      older: 'idle',
    });
    if (id) void this.load(id, token, 0);
  }

  private async load(id: string, token: number, attempt: number): Promise<void> {
    const { store, api } = this.c;
    try {
      // The cursor first: the snapshot read after it contains everything up to it, and the
      // stream from it delivers everything after (overlaps are deduplicated).
      const { lastSeq } = await api.events(id, 0, 1);
      // What the first screen needs, in one round trip: the newest page of messages and the latest
      // turn with its full history. Completed sessions are never fetched: their answer messages say
      // all the history needs. The states of other older turns arrive just after (fillHistory),
      // older pages as the reader scrolls up (loadOlder).
      const [conv, page, latest] = await Promise.all([
        api.getConversation(id),
        api.messagePage(id, PAGE_SIZE),
        api.latestSession(id).catch(() => null),
      ]);
      if (token !== this.token) return;
      const cursor = typeof lastSeq === 'number' ? lastSeq : 0;
      let view = initView(id, conv.conversation, page.messages, cursor, page.hasMore);
      view = addSessionRows(view, newestFirst(completedFromMessages(view)));
      if (latest?.session)
        view = hydrateSession(view, latest.session, latest.events ?? [], latest.session.id);
      store.set((s) => ({
        view,
        viewStatus: 'ready',
        list: upsert(s.list, conv.conversation),
        contentIndex: { ...s.contentIndex, [id]: searchableText(view) },
      }));
      this.c.live.openStream(id, token);
      void this.fillHistory(id, token);
      const c = conv.conversation;
      if (!c.acpSessionId || !c.settings?.configOptions) void this.openAgentSession(id, token);
    } catch (e) {
      if (token !== this.token) return;
      if (statusOf(e) === 404) {
        store.set({
          viewStatus: 'missing',
          viewError: 'This conversation does not exist (it may have been deleted).',
        });
        return;
      }
      if (statusOf(e) === 401) return;
      store.set({ viewStatus: 'loading', viewError: errText(e) });
      // Offline or server restarting: keep trying, the page stays usable.
      setTimeout(
        () => {
          if (token === this.token) void this.load(id, token, attempt + 1);
        },
        Math.min(10_000, 500 * 2 ** attempt),
      );
    }
  }

  /**
   * Starts the agent without a prompt so its modes and options can be chosen before the first
   * message (CONTRACT "The agent session before the first message"). A failure is left to the first
   * send, which reports it on its turn; an older server without the route answers 404.
   */
  private async openAgentSession(id: string, token: number): Promise<void> {
    try {
      const { conversation } = await this.c.api.openAgentSession(id);
      if (token !== this.token) return;
      this.c.store.set((s) => ({
        list: upsert(s.list, conversation),
        view: s.view?.id === id ? setConversation(s.view, conversation) : s.view,
      }));
    } catch {
      // See above: nothing to say before the user asked for anything.
    }
  }

  /**
   * The turns the first screen did not explain: sessions in states other than completed (their
   * status, error and Retry button), and any session a message names that is still unknown.
   * Runs after the stream opened; per-session seq dedupe makes the order of arrival irrelevant.
   */
  private async fillHistory(id: string, token: number): Promise<void> {
    const { store, api } = this.c;
    const lists = await Promise.all(
      NOT_COMPLETED.map((st) =>
        api.sessions(id, st).catch((): { sessions: Session[] } => ({ sessions: [] })),
      ),
    );
    if (token !== this.token) return;
    store.set((s) =>
      s.view?.id === id
        ? { view: addSessionRows(s.view, newestFirst(lists.flatMap((l) => l.sessions))) }
        : {},
    );
    const v = store.get().view;
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
    const { store, api } = this.c;
    const v = store.get().view;
    if (!v || v.id !== id) return;
    for (const sid of unknownSessions(v).slice(-20)) wanted.add(sid);
    if (!wanted.size) return;
    const details = await Promise.all([...wanted].map((sid) => api.session(sid).catch(() => null)));
    if (token !== this.token) return;
    store.set((s) => {
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
    const { store, api } = this.c;
    const s = store.get();
    const v = s.view;
    const oldest = v?.messages[0];
    if (!v || !oldest || !v.hasMore || s.older === 'loading') return;
    const token = this.token;
    store.set({ older: 'loading' });
    try {
      const page = await api.messagePage(v.id, PAGE_SIZE, oldest.id);
      if (token !== this.token) return;
      store.set((st) => {
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
      if (token !== this.token) return;
      store.set({ older: 'error' });
      this.c.notices.failed('load earlier messages', e);
    }
  }

  /** Sessions that are running but whose beginning we never saw get their full history. */
  hydrateIncomplete(view: ConversationView): void {
    for (const sid of view.sessionOrder) {
      const s = view.sessions[sid];
      if (s && !s.complete && isActive(s.status)) void this.showDetails(sid);
    }
  }

  /** Loads the full event history of one turn (thoughts, tool calls, plan). */
  async showDetails(sessionId: string): Promise<void> {
    if (this.hydrating.has(sessionId)) return;
    this.hydrating.add(sessionId);
    const token = this.token;
    try {
      const d = await this.c.api.session(sessionId);
      if (token !== this.token) return;
      this.c.store.set((s) =>
        s.view ? { view: hydrateSession(s.view, d.session, d.events ?? [], sessionId) } : {},
      );
    } catch (e) {
      this.c.notices.failed('load the details', e);
    } finally {
      this.hydrating.delete(sessionId);
    }
  }
}
