// The outbox: messages the user sent that the server has not confirmed yet.
//
// Every item carries the idempotency key it was created with and is retried with that same key
// until the server answers 201, so a message is stored exactly once however often it is sent.
// Items live in IndexedDB (idb.ts) so they survive a reload; this file is the storage-free logic.
// Attachments travel inside the item, images as base64 (CONTRACT section 11's wire shape), so a
// queued message with a picture is sent, with the same bytes and key, after a reload too.

import type { AttachmentInput } from '../net/api';

export interface OutboxItem {
  /** The idempotency key; also the item's identity. */
  key: string;
  conversationId: string;
  content: string;
  /** What the message carries besides its text (absent on items stored before attachments). */
  attachments?: AttachmentInput[];
  createdAt: number;
  /** Id of the newest message the conversation showed when this was typed (see isConfirmedBy). */
  afterMessageId: string | null;
  attempts: number;
  state: 'sending' | 'failed';
  /** Why the last attempt failed, in words for the user. */
  error: string | null;
  /** Set once the server answered: the stored message's id. */
  messageId: string | null;
}

export interface OutboxStorage {
  all(): Promise<OutboxItem[]>;
  put(item: OutboxItem): Promise<void>;
  delete(key: string): Promise<void>;
}

/** What to do after an attempt, by HTTP status (0 = no answer: offline or server down). */
export type Verdict = 'done' | 'retry' | 'fail' | 'auth';

export function classify(status: number): Verdict {
  if (status === 200 || status === 201) return 'done';
  if (status === 401) return 'auth';
  // 409: the first request with this key is still being handled; 408/425/429/5xx: transient.
  if (status === 0 || status === 408 || status === 409 || status === 425 || status === 429 || status >= 500)
    return 'retry';
  // 400, 403, 404 (conversation deleted), 413, 422: sending again cannot help.
  return 'fail';
}

/** Exponential backoff with jitter, capped; `random` is injectable for tests. */
export function backoffMs(
  attempt: number,
  random: () => number = Math.random,
  baseMs = 500,
  capMs = 15_000,
): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
  // ±25% jitter so that many tabs coming back together do not retry in lockstep.
  return Math.round(exp * (0.75 + random() * 0.5));
}

export function newKey(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return `msg-${c.randomUUID()}`;
  // Non-secure contexts (http on a LAN address) lack randomUUID but have getRandomValues.
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  return `msg-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export function makeItem(
  conversationId: string,
  content: string,
  afterMessageId: string | null,
  now: number,
  attachments: readonly AttachmentInput[] = [],
): OutboxItem {
  return {
    key: newKey(),
    conversationId,
    content,
    ...(attachments.length ? { attachments: [...attachments] } : {}),
    createdAt: now,
    afterMessageId,
    attempts: 0,
    state: 'sending',
    error: null,
    messageId: null,
  };
}

/** Items of one conversation in the order they were typed (the order they must be sent). */
export function queueOf(items: readonly OutboxItem[], conversationId: string): OutboxItem[] {
  return items
    .filter((i) => i.conversationId === conversationId)
    .sort((a, b) => a.createdAt - b.createdAt || (a.key < b.key ? -1 : 1));
}

export interface ConfirmableMessage {
  id: string;
  role: string;
  content: unknown;
  idempotencyKey?: string | null;
  attachments?: readonly unknown[];
}

/**
 * Which outbox items the messages already show, so their optimistic copies must disappear.
 * An item is confirmed by its message id (the POST answered) or by its idempotency key, which the
 * `message_created` event carries (so the event beating the POST answer is matched exactly).
 *
 * One case has neither: after a reload, a message whose POST succeeded but whose answer was lost is
 * in the loaded page (REST messages carry no key) while its item waits for the retry that will
 * confirm it. Only there, the first unclaimed key-less user message with the same text (and as
 * many attachments) that appeared after the item was typed stands in for it. That rule never hides
 * a message that is not in the list, and never matches a message that carries a key.
 */
export function confirmedKeys(
  items: readonly OutboxItem[],
  messages: readonly ConfirmableMessage[],
): Set<string> {
  const confirmed = new Set<string>();
  if (items.length === 0) return confirmed;
  const indexById = new Map<string, number>();
  const byKey = new Map<string, number>();
  messages.forEach((m, i) => {
    indexById.set(m.id, i);
    if (m.idempotencyKey) byKey.set(m.idempotencyKey, i);
  });
  const claimed = new Set<number>();
  const rest: OutboxItem[] = [];
  for (const it of items) {
    const i = (it.messageId ? indexById.get(it.messageId) : undefined) ?? byKey.get(it.key);
    if (i !== undefined) {
      confirmed.add(it.key);
      claimed.add(i);
    } else rest.push(it);
  }
  for (const it of [...rest].sort((a, b) => a.createdAt - b.createdAt)) {
    if (it.messageId) continue; // its message is known and not here yet
    let start = 0;
    if (it.afterMessageId) {
      const after = indexById.get(it.afterMessageId);
      if (after === undefined) continue; // cannot tell old messages from new ones: keep it shown
      start = after + 1;
    }
    for (let i = start; i < messages.length; i++) {
      const m = messages[i] as ConfirmableMessage;
      if (claimed.has(i) || m.idempotencyKey || m.role !== 'user' || m.content !== it.content) continue;
      if ((m.attachments?.length ?? 0) !== (it.attachments?.length ?? 0)) continue;
      claimed.add(i);
      confirmed.add(it.key);
      break;
    }
  }
  return confirmed;
}

/** An in-memory storage, for tests and for browsers where IndexedDB is unavailable. */
export function memoryStorage(initial: readonly OutboxItem[] = []): OutboxStorage {
  const map = new Map(initial.map((i) => [i.key, { ...i }]));
  return {
    async all() {
      return [...map.values()].map((i) => ({ ...i }));
    },
    async put(item) {
      map.set(item.key, { ...item });
    },
    async delete(key) {
      map.delete(key);
    },
  };
}
