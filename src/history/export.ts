import type { Conversation, StoredEvent } from '../domain/types.ts';
import { readEventPage } from '../api/limits/event-pages.ts';
import { errors } from '../domain/errors.ts';
import type { Store } from '../store/types.ts';
import { EXPORT_FORMAT, EXPORT_VERSION, type ExportHeader, type ExportTrailer, LineHash } from './format.ts';

// Streaming exports of one conversation: pages of its log are read (bounded, like every history read:
// src/api/limits/event-pages.ts) and written out one after the other, so a long conversation is never
// held whole in memory.

/** Events per page and bytes per page while exporting. */
const PAGE = { maxEvents: 500, maxBytes: 1024 * 1024 };

export interface Snapshot {
  conversation: Conversation;
  /** The last seq of the conversation's log that the row reflects: the export stops there. */
  upTo: number;
}

/**
 * The conversation row and the end of its log, read so that they agree: the log's end is read before
 * and after the row, and a write in between (which would make the row newer or older than the events)
 * makes it read again.
 */
export async function snapshot(store: Store, id: string): Promise<Snapshot> {
  for (let attempt = 0; ; attempt++) {
    const before = await store.lastSeq(id);
    const conversation = await store.getConversation(id);
    if (!conversation) throw errors.notFound('Conversation');
    const after = await store.lastSeq(id);
    if (before === after || attempt >= 20) return { conversation, upTo: after };
    await new Promise((r) => setTimeout(r, 5 * (attempt + 1)));
  }
}

/** The conversation's events up to `upTo`, page by page; each page as its events and their JSON lines. */
export async function* eventPages(
  store: Store,
  id: string,
  upTo: number,
): AsyncGenerator<{ events: StoredEvent[]; json: string[] }> {
  let after = 0;
  let hint: number | undefined;
  for (;;) {
    const page = await readEventPage(store, { after, conversationId: id }, { ...PAGE, sizeHint: hint });
    try {
      const n = page.events.findIndex((e) => e.seq > upTo);
      const end = n < 0 ? page.events.length : n;
      if (end > 0) yield { events: page.events.slice(0, end), json: page.json.slice(0, end) };
      if (n >= 0 || !page.more || page.events.length === 0) return;
      after = page.events[page.events.length - 1].seq;
      hint = page.largest;
    } finally {
      page.release();
    }
  }
}

/** The JSONL export (format.ts), as chunks of whole lines. */
export async function* jsonlExport(store: Store, id: string, now: number): AsyncGenerator<string> {
  const { conversation, upTo } = await snapshot(store, id);
  const header: ExportHeader = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: now,
    conversation,
  };
  yield `${JSON.stringify(header)}\n`;
  const hash = new LineHash();
  let messages = 0;
  let sessions = 0;
  for await (const page of eventPages(store, id, upTo)) {
    for (const e of page.events) {
      if (e.type === 'message_created') messages++;
      else if (e.type === 'session_created') sessions++;
    }
    for (const line of page.json) hash.add(line);
    yield `${page.json.join('\n')}\n`;
  }
  const trailer: ExportTrailer = {
    format: EXPORT_FORMAT,
    end: true,
    events: hash.count,
    messages,
    sessions,
    sha256: hash.hex(),
  };
  yield `${JSON.stringify(trailer)}\n`;
}
