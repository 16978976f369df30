import type { StoredEvent } from '../../domain/types.ts';
import type { Store } from '../../store/types.ts';
import { countAppended } from '../../metrics/registry.ts';
import { readEventPage } from '../limits/event-pages.ts';
import { Feed, type RingLimits } from './feed.ts';
import { type Filter, filterKey } from './protocol.ts';

// DESIGN point 2: live push is reading the log after a cursor. The tail knows only how far the log
// has grown (from store.onAppend) and wakes the feeds (feed.ts: one shared reader per conversation and
// one for /sync); a subscription behind its feed's ring reads the log after its own cursor, the same
// read whether it is a second or a day behind.

const MIN_SIZE_HINT = 512;
const PACE_BYTES = 1024 * 1024;

export interface Page {
  events: StoredEvent[];
  /** Every event of the filter with after < seq <= upTo is in `events`: the reader's next cursor. */
  upTo: number;
  /** A cap (events or bytes) ended the page: more may follow at once. */
  full: boolean;
}

/** What the tail needs from a subscription. */
export interface Wakeable {
  wake(): void;
}

export class LogTail {
  /** The newest seq known to be committed and visible to readers. */
  lastSeq: number;
  private readonly subscribers = new Set<Wakeable>();
  private readonly feeds = new Map<string, Feed>();
  private wakeScheduled = false;
  private readonly inflight = new Map<string, Promise<Page>>();
  // Subscribers woken together usually share a cursor: one read and one JSON.stringify serve them all.
  private readonly json = new WeakMap<StoredEvent, string>();
  private readonly unlisten: () => void;
  /**
   * About how large the events read lately were: sizes the first batch of the next page. Unknown until
   * a page with events was read (the first batch is then a small one).
   */
  private sizeHint: number | undefined;
  /** Bytes sent by all subscriptions in this turn of the event loop (see overPace). */
  private turnBytes = 0;
  private paceReset = false;

  private constructor(
    private readonly store: Store,
    readonly pageSize: number,
    /** About this many bytes of JSON per page (a single larger event comes alone). */
    readonly pageBytes: number,
    lastSeq: number,
    private readonly ring: RingLimits,
  ) {
    this.lastSeq = lastSeq;
    this.unlisten = store.onAppend((seq) => this.advance(seq));
  }

  static async open(
    store: Store,
    pageSize: number,
    pageBytes: number,
    ring: RingLimits = { events: 1024, bytes: 256 * 1024 },
  ): Promise<LogTail> {
    return new LogTail(store, pageSize, pageBytes, await store.lastSeq(), ring);
  }

  /** The shared reader of this filter, made when its first subscription starts, dropped with its last. */
  feed(filter: Filter): Feed {
    const key = filterKey(filter);
    let f = this.feeds.get(key);
    if (!f) {
      f = new Feed(filter, this, this.ring, (gone) => {
        if (this.feeds.get(key) === gone) this.feeds.delete(key);
        this.subscribers.delete(gone);
      });
      this.feeds.set(key, f);
      this.subscribers.add(f);
    }
    return f;
  }

  /** Subscriptions following the log, all feeds together. */
  get followerCount(): number {
    let n = 0;
    for (const f of this.feeds.values()) n += f.size;
    return n;
  }

  /**
   * The log grew to `seq` (or a reader saw that it did). Commits reported in the same synchronous run
   * coalesce into one wake-up, which runs as a microtask: right after the commit, ahead of any other I/O.
   */
  advance(seq: number): void {
    if (seq <= this.lastSeq) return;
    // seq has no holes (DESIGN point 1): the growth is the number of events appended.
    countAppended(seq - this.lastSeq);
    this.lastSeq = seq;
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    queueMicrotask(() => {
      this.wakeScheduled = false;
      for (const s of this.subscribers) s.wake();
    });
  }

  /** Where a live-only subscription starts: the end of the log right now. */
  async end(): Promise<number> {
    const seq = await this.store.lastSeq();
    this.advance(seq);
    return Math.max(seq, this.lastSeq);
  }

  /** One page of the log after `after` for this filter. */
  read(filter: Filter, after: number): Promise<Page> {
    const key = `${filterKey(filter)}|${after}`;
    const shared = this.inflight.get(key);
    if (shared) return shared;
    // Captured before the query starts: everything up to here is visible to it, so a short page proves
    // there is nothing more up to `target`, and the cursor may jump there even past other conversations' events.
    const target = this.lastSeq;
    // Bounded in events and in bytes, read in batches with a turn of the event loop between them: a
    // catch-up through a long turn costs each reader one page at a time, and never stalls the others.
    const page = readEventPage(
      this.store,
      {
        after,
        ...(filter.stream === 'sync' ? { lifecycleOnly: true } : { conversationId: filter.conversationId }),
      },
      { maxEvents: this.pageSize, maxBytes: this.pageBytes, sizeHint: this.sizeHint },
    ).then((p): Page => {
      // The subscriptions hand the page to their sockets at once, each pausing at its own limit.
      p.release();
      // Live pages are usually one batch: sized from the events seen lately (a huge one fades out).
      if (p.events.length || this.sizeHint !== undefined) {
        this.sizeHint = Math.max(MIN_SIZE_HINT, p.largest, Math.floor((this.sizeHint ?? 0) * 0.9));
      }
      const { events } = p;
      // Serialized once to weigh them: the same strings go to every socket.
      for (let i = 0; i < events.length; i++) this.json.set(events[i], p.json[i]);
      const last = events.length ? events[events.length - 1].seq : after;
      if (last > this.lastSeq) this.advance(last);
      return { events, upTo: p.more ? last : Math.max(after, target, last), full: p.more };
    });
    this.inflight.set(key, page);
    const forget = () => this.inflight.delete(key);
    page.then(forget, forget);
    return page;
  }

  /**
   * Pacing of what all subscriptions send: when many sockets catch up at once they share each page read,
   * and would otherwise all send it in one stretch of the event loop (40 sockets × a page). Past
   * PACE_BYTES in one turn of the loop a subscription waits for the next turn, so other requests get in.
   */
  overPace(): boolean {
    return this.turnBytes >= PACE_BYTES;
  }

  paced(bytes: number): void {
    this.turnBytes += bytes;
    if (this.paceReset) return;
    this.paceReset = true;
    setImmediate(() => {
      this.turnBytes = 0;
      this.paceReset = false;
    });
  }

  /** The event as JSON, serialized once however many sockets it goes to. */
  toJson(e: StoredEvent): string {
    let s = this.json.get(e);
    if (s === undefined) {
      s = JSON.stringify(e);
      this.json.set(e, s);
    }
    return s;
  }

  close(): void {
    this.unlisten();
    this.subscribers.clear();
    this.feeds.clear();
  }
}
