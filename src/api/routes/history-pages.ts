import { Readable } from 'node:stream';
import type { EventQuery, RawEventRow, Store } from '../../store/types.ts';
import { type Holder, historyBudget } from '../limits/read-budget.ts';
import { largeEventData } from './large-events.ts';

// History pages sent as the log stores them (CONTRACT section 8, "Paged history"; README "Limits").
// A page is read in small batches that take turns in the process's history budget (read-budget.ts),
// each event as its stored JSON (never parsed and serialized again), and the answer is streamed with
// backpressure. An event whose data is over INLINE_MAX (a long turn's closing events repeat its whole
// answer: 60 MB and more) is not loaded at all while the page is built: its bytes are read in slices
// while they are sent, shared by the readers of the same event (large-events.ts), so eight readers of
// one long turn hold a few slices between them rather than a copy each.

/** Events with more data than this are streamed in slices rather than held whole. */
const INLINE_MAX = 256 * 1024;
const FIRST_BATCH = 4;
const MAX_BATCH = 500;
/** What one synchronous batch reads: about a millisecond or two of work. */
const BATCH_BYTES = 256 * 1024;

/** An event ready to send: its whole JSON, or (large) its envelope with the data still in the store. */
type Item = { json: string } | { seq: number; prefix: string; size: number };

export interface RawPage {
  items: Item[];
  /** Seq of the last event in the page (null: none). */
  lastSeq: number | null;
  /** True when a cap ended the page (more may follow); false when the log had nothing more. */
  more: boolean;
}

/** The envelope the stores keep in columns, in the order `eventFromRow` spreads it before `data`. */
function envelope(r: RawEventRow): string {
  const sid = r.session_id === null ? 'null' : JSON.stringify(r.session_id);
  return `{"seq":${Number(r.seq)},"type":${JSON.stringify(r.type)},"conversationId":${JSON.stringify(r.conversation_id)},"sessionId":${sid},"created_at":${Number(r.created_at)}`;
}

/** The event's JSON, byte for byte what JSON.stringify(eventFromRow(r)) gives (data is stored that way). */
function inlineJson(r: RawEventRow & { data: string }): string {
  return r.data === '{}' ? `${envelope(r)}}` : `${envelope(r)},${r.data.slice(1)}`;
}

const batchFor = (room: number, size: number) => Math.max(1, Math.min(MAX_BATCH, Math.floor(room / size)));
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The events of `query` after `query.after`: at most `maxEvents`, adding up to at most `maxBytes` with
 * the `reserved` bytes the caller adds around them; a single larger event comes alone.
 */
export async function readRawPage(
  store: Store,
  query: Omit<EventQuery, 'limit'>,
  limits: { maxEvents: number; maxBytes: number },
  reserved: number,
  holder: Holder,
): Promise<RawPage> {
  const items: Item[] = [];
  let bytes = reserved;
  let after = query.after;
  let batch = FIRST_BATCH;
  let largest = 1;
  let lastSeq: number | null = null;
  for (;;) {
    const want = Math.min(batch, limits.maxEvents - items.length);
    let stop = false;
    let rows: RawEventRow[] = [];
    await holder.turn();
    try {
      rows = await store.readEventRows({ ...query, after, limit: want }, INLINE_MAX);
      for (const r of rows) {
        const head = envelope(r);
        // The comma that joins it to the others counts too.
        const size = head.length + Number(r.size) + 1;
        if (items.length > 0 && bytes + size > limits.maxBytes) {
          stop = true;
          break;
        }
        const held = r.data === null ? head.length : size;
        if (held > largest) largest = held;
        items.push(
          r.data === null
            ? { seq: Number(r.seq), prefix: `${head},`, size: Number(r.size) }
            : { json: inlineJson(r as RawEventRow & { data: string }) },
        );
        lastSeq = Number(r.seq);
        // Only what is held counts against the budget: a large event's data is read as it is sent.
        bytes += size;
      }
    } finally {
      holder.done(items.reduce((n, it) => n + ('json' in it ? it.json.length : it.prefix.length), reserved));
    }
    if (stop) return { items, lastSeq, more: true };
    if (rows.length < want) return { items, lastSeq, more: false };
    if (items.length >= limits.maxEvents) return { items, lastSeq, more: true };
    after = rows[rows.length - 1].seq;
    batch = batchFor(Math.min(BATCH_BYTES, Math.max(1, limits.maxBytes - bytes)), largest);
    await yieldToLoop();
  }
}

/**
 * The answer `{<head>"events":[…]<tail>}` as a stream: inline events in chunks of about 64 KiB, large
 * ones slice by slice from the store. `release` runs when the stream ends or the client goes away.
 */
export function pageStream(
  store: Store,
  head: string,
  page: RawPage,
  tail: string,
  release: () => void,
): Readable {
  async function* chunks(): AsyncGenerator<string | Uint8Array> {
    try {
      let buf = `{${head}"events":[`;
      let first = true;
      for (const it of page.items) {
        const sep = first ? '' : ',';
        first = false;
        if ('json' in it) {
          buf += sep + it.json;
          if (buf.length >= 64 * 1024) {
            yield buf;
            buf = '';
          }
          continue;
        }
        yield buf + sep + it.prefix;
        buf = '';
        // The stored data starts with `{`: the envelope above opened the object already.
        yield* largeEventData(store, it.seq, 1);
      }
      yield `${buf}]${tail}}`;
    } finally {
      release();
    }
  }
  // One chunk ahead at most: a slice is megabytes.
  return Readable.from(chunks(), { objectMode: true, highWaterMark: 1 });
}

/** A holder of the process's history budget for one answer (read-budget.ts). */
export function pageHolder(store: Store): Holder {
  return historyBudget(store.kind).holder();
}
