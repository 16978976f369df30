// Sending messages through the outbox (web/README.md): stored in IndexedDB before the first
// attempt, retried with the same idempotency key, shared with the other tabs of this browser
// (Web Locks for who sends, a BroadcastChannel to say the outbox changed).

import type { AttachmentInput, SendMessageBody } from '../net/api';
import type { OutboxItem } from '../outbox/core';
import { idbStorage } from '../outbox/idb';
import { Outbox } from '../outbox/outbox';
import { addMessage, addSessionRow } from '../state/conversation';
import type { Core } from './app-state';

export interface SenderHost extends Core {
  /** The server no longer accepts this browser's session. */
  signedOut(): void;
}

export class Sender {
  private outbox: Outbox | null = null;
  /** Tells the other tabs that the shared outbox changed. */
  private broadcast: () => void = () => undefined;

  constructor(private readonly c: SenderHost) {}

  /** Opens the stored outbox and sends what an earlier page left unsent. */
  async start(): Promise<void> {
    const { store, api } = this.c;
    const { storage, persistent } = await idbStorage();
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    this.outbox = new Outbox({
      storage,
      send: async (item) => {
        const r = await api.sendMessage(item.conversationId, item.content, item.key, item.attachments);
        const { error: err, code } = (r.body as { error?: string; code?: string } | null) ?? {};
        return {
          status: r.status,
          body: r.body,
          error: r.status === 0 ? 'No connection to the server' : (bodyTooLarge(code, item) ?? err),
        };
      },
      onChange: (outbox) => store.set({ outbox }),
      onConfirmed: (item, body) => this.confirmed(item, body as SendMessageBody | null),
      onUnauthorized: () => this.c.signedOut(),
      // The lock resolves with fn's promise, which is the same value once awaited.
      withLock: locks
        ? <T>(fn: () => Promise<T>) => locks.request('gmgui-outbox', fn) as Promise<T>
        : undefined,
    });
    store.set({ outboxPersistent: persistent });
    // Other tabs change the shared outbox too: re-read it when they say so.
    if (typeof BroadcastChannel !== 'undefined') {
      const ch = new BroadcastChannel('gmgui-outbox');
      ch.onmessage = () => void this.outbox?.reload();
      this.broadcast = () => ch.postMessage('changed');
    }
    await this.outbox.reload();
    this.outbox.kick();
  }

  /** The server has the message: show it (and its turn) without waiting for the stream. */
  private confirmed(item: OutboxItem, body: SendMessageBody | null): void {
    this.broadcast();
    if (!body?.message) return;
    this.c.store.set((s) => {
      if (!s.view || s.view.id !== item.conversationId) return {};
      let view = addMessage(s.view, body.message);
      if (body.session) view = addSessionRow(view, body.session);
      return { view };
    });
  }

  /** Queues `text` (and attachments) for the open conversation, after its newest loaded message. */
  async send(text: string, attachments: readonly AttachmentInput[] = []): Promise<void> {
    const s = this.c.store.get();
    const content = text.trim();
    if (!s.view || (!content && !attachments.length) || !this.outbox) return;
    const last = s.view.messages[s.view.messages.length - 1];
    await this.outbox.enqueue(s.view.id, content, last?.id ?? null, attachments);
    this.broadcast();
  }

  retry(key: string): void {
    void this.outbox?.retry(key);
  }

  discard(key: string): void {
    void this.outbox?.discard(key).then(() => this.broadcast());
  }

  /**
   * Drops what was waiting for a deleted conversation. `tellOtherTabs` when this tab deleted it;
   * the others learn a deletion made elsewhere from their own /sync.
   */
  discardConversation(conversationId: string, tellOtherTabs = false): void {
    const done = this.outbox?.discardConversation(conversationId);
    if (tellOtherTabs) void done?.then(() => this.broadcast());
  }

  /** The network or a socket came back: try now instead of waiting for the backoff. */
  wake(): void {
    this.outbox?.wake();
  }
}

/** The server's generic 413 says nothing of images: say why a message with them can be too large. */
function bodyTooLarge(code: string | undefined, item: OutboxItem): string | undefined {
  if (code !== 'body_too_large' || !item.attachments?.some((a) => a.type === 'image')) return undefined;
  return "The message is larger than this server accepts: images travel as base64, a third larger than the file (the server's GMGUI_BODY_LIMIT, 5 MiB by default). Send fewer or smaller images.";
}
