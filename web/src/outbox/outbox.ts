// The outbox runner: persists each message before the first attempt, sends each conversation's
// messages in the order they were typed, retries transient failures with the same idempotency key
// and backoff, and tells the app when the server confirmed one.
//
// Several tabs share the IndexedDB outbox. Sends are serialized across tabs with the Web Locks API
// when the browser has it; without it two tabs may send the same item concurrently, which the
// idempotency key makes harmless (one effect, same answer).

import type { AttachmentInput } from '../net/api';
import { backoffMs, classify, makeItem, type OutboxItem, type OutboxStorage, queueOf } from './core';

export interface SendResult {
  /** HTTP status, or 0 when there was no answer (offline, server down, timeout). */
  status: number;
  body?: unknown;
  error?: string;
}

export interface OutboxDeps {
  storage: OutboxStorage;
  send: (item: OutboxItem) => Promise<SendResult>;
  onChange: (items: OutboxItem[]) => void;
  onConfirmed: (item: OutboxItem, body: unknown) => void;
  onUnauthorized: () => void;
  now?: () => number;
  /** Runs `fn` holding a lock shared by every tab of this origin. */
  withLock?: <T>(fn: () => Promise<T>) => Promise<T>;
  random?: () => number;
}

export class Outbox {
  private items: OutboxItem[] = [];
  private running = false;
  private again = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Earliest time each item may be tried again (memory only: after a reload, try at once). */
  private notBefore = new Map<string, number>();
  /** Set by a 401: nothing is sent until wake() (the user logged in again). */
  private paused = false;
  private readonly now: () => number;

  constructor(private readonly deps: OutboxDeps) {
    this.now = deps.now ?? Date.now;
  }

  list(): OutboxItem[] {
    return this.items;
  }

  /** Re-reads the shared storage (another tab may have sent or added items). */
  async reload(): Promise<void> {
    this.items = await this.deps.storage.all();
    this.emit();
  }

  /** Stores the message durably, shows it, then sends it. Resolves once it is stored. */
  async enqueue(
    conversationId: string,
    content: string,
    afterMessageId: string | null,
    attachments: readonly AttachmentInput[] = [],
  ): Promise<OutboxItem> {
    const item = makeItem(conversationId, content, afterMessageId, this.now(), attachments);
    // Make createdAt strictly increasing so that the send order is the typing order.
    const last = this.items.reduce((m, i) => Math.max(m, i.createdAt), 0);
    if (item.createdAt <= last) item.createdAt = last + 1;
    try {
      await this.deps.storage.put(item);
    } catch {
      // Storage failed (quota, private mode): still send it, it just won't survive a reload.
    }
    this.items = [...this.items, item];
    this.emit();
    this.kick();
    return item;
  }

  /** Try everything now (the network came back, the server is reachable again). */
  wake(): void {
    this.paused = false;
    this.notBefore.clear();
    this.kick();
  }

  async retry(key: string): Promise<void> {
    const it = this.items.find((i) => i.key === key);
    if (!it) return;
    await this.update({ ...it, state: 'sending', error: null });
    this.notBefore.delete(key);
    this.kick();
  }

  async discard(key: string): Promise<void> {
    this.items = this.items.filter((i) => i.key !== key);
    this.notBefore.delete(key);
    await this.deps.storage.delete(key).catch(() => undefined);
    this.emit();
  }

  /** A deleted conversation takes its unsent messages with it (they could never be stored). */
  async discardConversation(conversationId: string): Promise<void> {
    for (const it of this.items.filter((i) => i.conversationId === conversationId))
      await this.discard(it.key);
  }

  kick(): void {
    if (this.paused) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.run();
  }

  private async run(): Promise<void> {
    try {
      do {
        this.again = false;
        const lock = this.deps.withLock ?? ((fn) => fn());
        await lock(() => this.flushOnce());
      } while (this.again);
    } finally {
      this.running = false;
    }
    this.schedule();
  }

  private async flushOnce(): Promise<void> {
    try {
      this.items = await this.deps.storage.all();
    } catch {
      // Keep the in-memory list.
    }
    this.emit();
    const conversations = [...new Set(this.items.map((i) => i.conversationId))];
    for (const cid of conversations) {
      for (const item of queueOf(this.items, cid)) {
        if (item.state !== 'sending') continue;
        // Later messages of this conversation wait behind an earlier one: order is kept.
        if ((this.notBefore.get(item.key) ?? 0) > this.now()) break;
        const res = await this.deps
          .send(item)
          .catch((e: unknown) => ({ status: 0, error: String(e) }) as SendResult);
        const verdict = classify(res.status);
        if (verdict === 'done') {
          const confirmed = { ...item, messageId: messageIdOf(res.body) };
          this.items = this.items.filter((i) => i.key !== item.key);
          this.notBefore.delete(item.key);
          await this.deps.storage.delete(item.key).catch(() => undefined);
          this.deps.onConfirmed(confirmed, res.body);
          this.emit();
          continue;
        }
        if (verdict === 'auth') {
          this.paused = true;
          this.deps.onUnauthorized();
          return;
        }
        if (verdict === 'retry') {
          const attempts = item.attempts + 1;
          await this.update({
            ...item,
            attempts,
            error: res.error ?? (res.status ? `Server answered ${res.status}` : 'No connection'),
          });
          this.notBefore.set(item.key, this.now() + backoffMs(attempts - 1, this.deps.random));
          break;
        }
        await this.update({
          ...item,
          attempts: item.attempts + 1,
          state: 'failed',
          error: res.error ?? `Server answered ${res.status}`,
        });
      }
    }
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.paused) return;
    // Only the head of each conversation's queue can be tried next.
    const heads: OutboxItem[] = [];
    for (const cid of new Set(this.items.map((i) => i.conversationId))) {
      const head = queueOf(this.items, cid).find((i) => i.state === 'sending');
      if (head) heads.push(head);
    }
    if (!heads.length) return;
    const at = Math.min(...heads.map((i) => this.notBefore.get(i.key) ?? 0));
    this.timer = setTimeout(() => this.kick(), Math.max(0, at - this.now()));
  }

  private async update(item: OutboxItem): Promise<void> {
    this.items = this.items.map((i) => (i.key === item.key ? item : i));
    await this.deps.storage.put(item).catch(() => undefined);
    this.emit();
  }

  private emit(): void {
    this.deps.onChange(this.items);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

function messageIdOf(body: unknown): string | null {
  const m = (body as { message?: { id?: unknown } } | null)?.message;
  return m && typeof m.id === 'string' ? m.id : null;
}
