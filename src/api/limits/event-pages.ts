import type { StoredEvent } from '../../domain/types.ts';
import type { EventQuery, Store } from '../../store/types.ts';
import { type Holder, historyBudget } from './read-budget.ts';

// Bounded reads of the log (README "Limits", CONTRACT section 8 "Paged history"): a page holds at most
// `maxEvents` events and about `maxBytes` bytes of JSON, and is read in small batches with a turn of the
// event loop between them. Reading a whole 60 MB turn at once held every other client up for seconds
// and took hundreds of MB per reader; a page now costs at most its cap, however long the history.
//
// The store cannot tell sizes before reading, so batches start small and then take as many events as
// the largest one seen so far says fit in BATCH_BYTES. A single event larger than the page cap still
// comes, alone, so a reader always moves on.

export interface PageLimits {
  maxEvents: number;
  maxBytes: number;
  /** The size of an event the reader expects (from its earlier pages): sizes the first batch. */
  sizeHint?: number;
}

export interface EventPage {
  events: StoredEvent[];
  /** Each event as JSON, in the same order: serialized once for both the size and the answer. */
  json: string[];
  /** Bytes of `json` with one separator each (plus whatever the caller reserved). */
  bytes: number;
  /** True when a cap ended the page (more may follow); false when the log had nothing more. */
  more: boolean;
  /** The largest event read (kept or not), in bytes: a size hint for the next page. */
  largest: number;
  /** Gives the page's bytes back to the budget (read-budget.ts): call once the page has been handed on. */
  release(): void;
}

const FIRST_BATCH = 4;
const MAX_BATCH = 500;
/** What one synchronous batch reads, parses and serializes: about a millisecond or two of work. */
const BATCH_BYTES = 256 * 1024;

/** How many events of about `size` bytes fit in `room`: at least one, at most MAX_BATCH. */
const batchFor = (room: number, size: number) => Math.max(1, Math.min(MAX_BATCH, Math.floor(room / size)));

/** Lets timers and I/O (other requests, the agent's writes) run before the next batch. */
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The events of `query` after `query.after`, up to the limits. `reserved` counts bytes the caller puts
 * in the same answer (a session row), so the whole answer stays within `maxBytes`.
 */
export async function readEventPage(
  store: Store,
  query: Omit<EventQuery, 'limit'>,
  limits: PageLimits,
  reserved = 0,
  holder: Holder = historyBudget(store.kind).holder(),
): Promise<EventPage> {
  const events: StoredEvent[] = [];
  const json: string[] = [];
  let bytes = reserved;
  let after = query.after;
  let batch = limits.sizeHint ? batchFor(BATCH_BYTES, limits.sizeHint) : FIRST_BATCH;
  let largest = 1;
  const page = (more: boolean): EventPage => ({
    events,
    json,
    bytes,
    more,
    largest,
    release: holder.release,
  });
  try {
    for (;;) {
      const want = Math.min(batch, limits.maxEvents - events.length);
      let stop = false;
      let rows: StoredEvent[] = [];
      await holder.turn();
      try {
        rows = await store.readEvents({ ...query, after, limit: want });
        for (const e of rows) {
          const s = JSON.stringify(e);
          // The comma (or bracket) that joins it to the others counts too.
          const size = Buffer.byteLength(s) + 1;
          if (size > largest) largest = size;
          if (events.length > 0 && bytes + size > limits.maxBytes) {
            stop = true;
            break;
          }
          events.push(e);
          json.push(s);
          bytes += size;
        }
      } finally {
        holder.done(bytes);
      }
      if (stop) return page(true);
      if (rows.length < want) return page(false);
      if (events.length >= limits.maxEvents) return page(true);
      after = rows[rows.length - 1].seq;
      batch = batchFor(Math.min(BATCH_BYTES, limits.maxBytes - bytes), largest);
      await yieldToLoop();
    }
  } catch (err) {
    holder.release();
    throw err;
  }
}
