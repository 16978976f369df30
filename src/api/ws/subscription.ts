import type { StoredEvent } from '../../domain/types.ts';
import type { Feed, Follower } from './feed.ts';
import type { LogTail } from './log-tail.ts';
import type { Filter } from './protocol.ts';

/** The socket side of a subscription: where frames go and whether it can take more now. */
export interface Sink {
  /** False when the socket is closed or paused: stop reading the log for it. */
  readonly writable: boolean;
  send(frame: string): void;
  /** Called after each event sent: true when the socket's buffer is too full (it pauses, and wakes us on drain). */
  congested(): boolean;
  fail(err: unknown): void;
}

/**
 * One follower of the log: sends every event of its filter with seq > cursor, in order, once.
 * Live, it takes events from its feed's ring (feed.ts: one read per batch, shared by every subscription
 * of the filter); behind the ring, it reads pages of the log after its own cursor until it is back in
 * it. `cursor` only moves after the events up to it were handed to the socket.
 */
export class Subscription implements Follower {
  private running = false;
  private rerun = false;
  private closed = false;
  private readonly feed: Feed;

  constructor(
    readonly filter: Filter,
    public cursor: number,
    private readonly tail: LogTail,
    private readonly sink: Sink,
    private readonly frame: (e: StoredEvent) => string,
  ) {
    this.feed = tail.feed(filter);
  }

  start(): void {
    this.feed.add(this);
    this.wake();
    // The feed may not have read up to the log's end yet (it was just made, or it is reading).
    this.feed.wake();
  }

  wake(): void {
    if (this.closed || !this.sink.writable) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    // Live and up to date with the feed: nothing to do until the feed has more.
    if (this.cursor >= this.feed.floor && this.cursor >= this.feed.upTo) return;
    if (this.cursor >= this.tail.lastSeq) return;
    // Live with no pacing due: the ring's events go out now, synchronously (the common case).
    if (this.cursor >= this.feed.floor && !this.tail.overPace() && this.fromRing() !== 'more') return;
    this.running = true;
    this.run()
      .catch((err) => this.sink.fail(err))
      .finally(() => {
        this.running = false;
        if (this.rerun) {
          this.rerun = false;
          this.wake();
        }
      });
  }

  fail(err: unknown): void {
    this.sink.fail(err);
  }

  /**
   * Sends the ring's events after the cursor. 'done': up to date with the feed; 'paused': the socket is
   * full (it wakes us on drain); 'more': pacing asks to wait for the next turn of the event loop.
   */
  private fromRing(): 'done' | 'paused' | 'more' {
    const upTo = this.feed.upTo;
    for (const e of this.feed.after(this.cursor)) {
      if (this.tail.overPace()) return 'more';
      if (this.send(e)) return 'paused';
    }
    this.cursor = Math.max(this.cursor, upTo);
    return 'done';
  }

  /** One event to the socket; true when the socket's buffer is now too full. */
  private send(e: StoredEvent): boolean {
    const frame = this.frame(e);
    this.sink.send(frame);
    this.tail.paced(frame.length);
    this.cursor = e.seq;
    // Checked per event, so a socket's buffer outgrows the pause limit by one event at most; the rest
    // is sent again once it has drained.
    return this.sink.congested();
  }

  private async run(): Promise<void> {
    while (!this.closed && this.sink.writable) {
      this.rerun = false;
      if (this.cursor >= this.feed.floor) {
        if (this.cursor >= this.feed.upTo) return;
        if (this.tail.overPace()) {
          await new Promise((r) => setImmediate(r));
          continue;
        }
        if (this.fromRing() === 'paused') return;
        continue;
      }
      // Behind the ring: a page of the log after our own cursor.
      if (this.cursor >= this.tail.lastSeq) return;
      const page = await this.tail.read(this.filter, this.cursor);
      if (this.closed || !this.sink.writable) return;
      for (const e of page.events) {
        if (e.seq <= this.cursor) continue;
        if (this.tail.overPace()) {
          await new Promise((r) => setImmediate(r));
          if (this.closed || !this.sink.writable) return;
        }
        if (this.send(e)) return;
      }
      this.cursor = Math.max(this.cursor, page.upTo);
      // A long catch-up yields between pages so other sockets (and the agent's writes) get their turn.
      if (page.full) await new Promise((r) => setImmediate(r));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.feed.remove(this);
  }
}
