import type { StoredEvent } from '../../domain/types.ts';
import type { LogTail, Page, Wakeable } from './log-tail.ts';
import type { Filter } from './protocol.ts';

// DESIGN point 2, shared: one reader of the log per filter (one conversation, or /sync), however many
// sockets follow it. The feed reads each new batch once and keeps the latest events in a bounded ring;
// every live subscription takes its events from the ring, without a read of its own. A subscription
// whose cursor is older than the ring (it connected with an old `after`, or it was paused by its socket
// while the ring moved on) reads pages of the log itself, the same read as ever, until its cursor is
// inside the ring again. The ring only holds what the log already committed, so nothing changes for
// the client: every event of the filter after its cursor, in seq order, once.

/** What a feed needs from a subscription. */
export interface Follower extends Wakeable {
  fail(err: unknown): void;
}

export interface RingLimits {
  events: number;
  bytes: number;
}

export class Feed implements Wakeable {
  /** Every event of the filter with floor < seq <= upTo is in `ring` (in seq order). */
  floor: number;
  upTo: number;
  private ring: StoredEvent[] = [];
  private ringBytes = 0;
  private readonly followers = new Set<Follower>();
  private reading = false;
  private again = false;
  private closed = false;

  constructor(
    readonly filter: Filter,
    private readonly tail: LogTail,
    private readonly limits: RingLimits,
    private readonly onEmpty: (f: Feed) => void,
  ) {
    // An empty ring covers nothing: it starts at the end of the log as far as we know it. Without a
    // ring (limits.events 0) it never reads, and every follower is behind it: each reads for itself.
    this.floor = limits.events > 0 ? tail.lastSeq : Number.POSITIVE_INFINITY;
    this.upTo = tail.lastSeq;
  }

  get size(): number {
    return this.followers.size;
  }

  add(f: Follower): void {
    this.followers.add(f);
  }

  remove(f: Follower): void {
    this.followers.delete(f);
    if (this.followers.size === 0) {
      this.closed = true;
      this.onEmpty(this);
    }
  }

  /** The events after `cursor` in the ring; only meaningful when `cursor >= floor`. */
  after(cursor: number): StoredEvent[] {
    const r = this.ring;
    // Live followers are usually one batch behind: search from the end.
    let i = r.length;
    while (i > 0 && r[i - 1].seq > cursor) i--;
    return i === r.length ? [] : r.slice(i);
  }

  /** The log grew: read the new part once, for everyone. */
  wake(): void {
    if (this.closed) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    if (this.limits.events === 0) {
      for (const f of this.followers) f.wake();
      return;
    }
    if (this.upTo >= this.tail.lastSeq) return;
    this.reading = true;
    this.pull()
      .catch((err) => {
        for (const f of [...this.followers]) f.fail(err);
      })
      .finally(() => {
        this.reading = false;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async pull(): Promise<void> {
    while (!this.closed && this.upTo < this.tail.lastSeq) {
      this.again = false;
      const page: Page = await this.tail.read(this.filter, this.upTo);
      if (this.closed) return;
      let added = false;
      for (const e of page.events) {
        if (e.seq <= this.upTo) continue;
        this.ring.push(e);
        this.ringBytes += this.tail.toJson(e).length;
        this.upTo = e.seq;
        added = true;
      }
      this.upTo = Math.max(this.upTo, page.upTo);
      this.trim();
      if (added) for (const f of this.followers) f.wake();
      if (page.full) await new Promise((r) => setImmediate(r));
    }
  }

  /** Keeps the ring within its limits; what falls out moves the floor (a follower behind it reads pages). */
  private trim(): void {
    let drop = 0;
    while (
      this.ring.length - drop > 1 &&
      (this.ring.length - drop > this.limits.events || this.ringBytes > this.limits.bytes)
    ) {
      this.ringBytes -= this.tail.toJson(this.ring[drop]).length;
      drop++;
    }
    if (drop === 0) return;
    this.floor = this.ring[drop - 1].seq;
    this.ring = this.ring.slice(drop);
  }
}
