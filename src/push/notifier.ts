import type { FastifyBaseLogger } from 'fastify';
import { type AppEvent, type EventOf, parseEvent } from '../domain/events.ts';
import type { Store } from '../store/types.ts';
import { type PushMessage, permissionMessage, turnEndedMessage } from './messages.ts';

// Push is one more reader of the log (docs/DESIGN.md "the log is the truth"): it follows the lifecycle
// events after its own cursor, the way the WebSocket gateway does, and turns two of them into pushes:
// a permission request still waiting for a person, and a turn that ended (completed, error,
// interrupted) after running at least GMGUI_PUSH_MIN_TURN_MS. Stop pressed by a person is no news.
// No agent or command code knows about push. The cursor starts at the end of the log when the server
// starts: what happened while it was down is not pushed late (turns recovery marks interrupted are).

const PAGE = 200;
const RETRY_MS = 1_000;
/** Turns already pushed, remembered so a repeated `session_updated` of a finished turn is not pushed twice. */
const REMEMBERED = 1_000;
const ENDED = new Set(['completed', 'error', 'interrupted']);

export interface NotifierDeps {
  store: Store;
  baseUrl: string;
  minTurnMs: number;
  log: FastifyBaseLogger;
  /** False while no device wants anything: the log is then skipped, not read. */
  hasAudience(): boolean;
  deliver(m: PushMessage): void;
}

export class PushNotifier {
  private cursor: number;
  /** The newest seq known to be committed. */
  private latest: number;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;
  private readonly pushedTurns = new Set<string>();
  private readonly unlisten: () => void;

  private constructor(
    private readonly deps: NotifierDeps,
    start: number,
  ) {
    this.cursor = start;
    this.latest = start;
    this.unlisten = deps.store.onAppend((seq) => this.advance(seq));
  }

  static async start(deps: NotifierDeps): Promise<PushNotifier> {
    return new PushNotifier(deps, await deps.store.lastSeq());
  }

  private advance(seq: number): void {
    if (this.closed || seq <= this.latest) return;
    this.latest = seq;
    this.kick();
  }

  private kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((err) => {
        this.deps.log.warn({ err }, 'push: reading the log failed; trying again');
        this.retry ??= setTimeout(() => {
          this.retry = null;
          this.kick();
        }, RETRY_MS);
        this.retry.unref();
      })
      .finally(() => {
        this.running = null;
        if (this.again && !this.closed) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    while (!this.closed && this.cursor < this.latest) {
      const target = this.latest;
      if (!this.deps.hasAudience()) {
        this.cursor = target;
        return;
      }
      const rows = await this.deps.store.readEvents({ after: this.cursor, lifecycleOnly: true, limit: PAGE });
      for (const row of rows) {
        const parsed = parseEvent(row);
        if (parsed.ok) await this.handle(parsed.event);
        this.cursor = row.seq;
      }
      // A short page read everything visible up to `target` (the store's order guarantee).
      if (rows.length < PAGE) this.cursor = Math.max(this.cursor, target);
    }
  }

  private async handle(e: AppEvent): Promise<void> {
    if (e.type === 'permission_requested') await this.permission(e);
    else if (e.type === 'session_updated') await this.turnEnded(e);
  }

  private async permission(e: EventOf<'permission_requested'>): Promise<void> {
    if (!e.sessionId) return;
    // Answered by the conversation's settings in the same transaction, or by a person meanwhile: no news.
    const p = await this.deps.store.getPermission(e.sessionId, e.requestId);
    if (p?.status !== 'pending') return;
    const c = await this.deps.store.getConversation(e.conversationId);
    this.deps.deliver(permissionMessage(this.deps.baseUrl, c, e.conversationId, e.toolCall));
  }

  private async turnEnded(e: EventOf<'session_updated'>): Promise<void> {
    const s = e.session;
    if (e.cancelRequested || !ENDED.has(s.status) || this.pushedTurns.has(s.id)) return;
    const ran = (s.completed_at ?? e.created_at) - (s.started_at ?? s.created_at);
    if (ran < this.deps.minTurnMs) return;
    this.pushedTurns.add(s.id);
    if (this.pushedTurns.size > REMEMBERED)
      this.pushedTurns.delete(this.pushedTurns.values().next().value as string);
    const c = await this.deps.store.getConversation(e.conversationId);
    this.deps.deliver(turnEndedMessage(this.deps.baseUrl, c, s, ran));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unlisten();
    if (this.retry) clearTimeout(this.retry);
    await this.running;
  }
}
