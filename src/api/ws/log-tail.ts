import type { StoredEvent } from '../../domain/types.ts';
import type { Store } from '../../store/types.ts';
import { type Filter, filterKey } from './protocol.ts';

// DESIGN point 2: live push is reading the log after a cursor. The tail knows only how far the log
// has grown (from store.onAppend) and wakes the subscriptions that are behind; each one then reads
// the log after its own cursor, the same read whether it is a second or a day behind.

export interface Page {
  events: StoredEvent[];
  /** Every event of the filter with after < seq <= upTo is in `events`: the reader's next cursor. */
  upTo: number;
}

/** What the tail needs from a subscription. */
export interface Wakeable {
  wake(): void;
}

export class LogTail {
  /** The newest seq known to be committed and visible to readers. */
  lastSeq: number;
  private readonly subscribers = new Set<Wakeable>();
  private wakeScheduled = false;
  private readonly inflight = new Map<string, Promise<Page>>();
  // Subscribers woken together usually share a cursor: one read and one JSON.stringify serve them all.
  private readonly json = new WeakMap<StoredEvent, string>();
  private readonly unlisten: () => void;

  private constructor(
    private readonly store: Store,
    readonly pageSize: number,
    lastSeq: number,
  ) {
    this.lastSeq = lastSeq;
    this.unlisten = store.onAppend((seq) => this.advance(seq));
  }

  static async open(store: Store, pageSize: number): Promise<LogTail> {
    return new LogTail(store, pageSize, await store.lastSeq());
  }

  /**
   * The log grew to `seq` (or a reader saw that it did). Commits reported in the same synchronous run
   * coalesce into one wake-up, which runs as a microtask: right after the commit, ahead of any other I/O.
   */
  advance(seq: number): void {
    if (seq <= this.lastSeq) return;
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

  add(s: Wakeable): void {
    this.subscribers.add(s);
  }

  remove(s: Wakeable): void {
    this.subscribers.delete(s);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** One page of the log after `after` for this filter. */
  read(filter: Filter, after: number): Promise<Page> {
    const key = `${filterKey(filter)}|${after}`;
    const shared = this.inflight.get(key);
    if (shared) return shared;
    // Captured before the query starts: everything up to here is visible to it, so a short page proves
    // there is nothing more up to `target`, and the cursor may jump there even past other conversations' events.
    const target = this.lastSeq;
    const page = this.store
      .readEvents({
        after,
        limit: this.pageSize,
        ...(filter.stream === 'sync' ? { lifecycleOnly: true } : { conversationId: filter.conversationId }),
      })
      .then((events): Page => {
        const last = events.length ? events[events.length - 1].seq : after;
        if (last > this.lastSeq) this.advance(last);
        return { events, upTo: events.length >= this.pageSize ? last : Math.max(after, target, last) };
      });
    this.inflight.set(key, page);
    const forget = () => this.inflight.delete(key);
    page.then(forget, forget);
    return page;
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
  }
}
