import type { StoredEvent } from '../../domain/types.ts';
import type { LogTail, Wakeable } from './log-tail.ts';
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
 * One reader of the log: sends every event of its filter with seq > cursor, in order, once.
 * Catch-up and live are the same loop; `cursor` only moves after the events up to it were handed to the socket.
 */
export class Subscription implements Wakeable {
  private running = false;
  private rerun = false;
  private closed = false;

  constructor(
    readonly filter: Filter,
    public cursor: number,
    private readonly tail: LogTail,
    private readonly sink: Sink,
    private readonly frame: (e: StoredEvent) => string,
  ) {}

  start(): void {
    this.tail.add(this);
    this.wake();
  }

  wake(): void {
    if (this.closed || !this.sink.writable) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    if (this.cursor >= this.tail.lastSeq) return;
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

  private async run(): Promise<void> {
    while (!this.closed && this.sink.writable && this.cursor < this.tail.lastSeq) {
      this.rerun = false;
      const page = await this.tail.read(this.filter, this.cursor);
      if (this.closed || !this.sink.writable) return;
      for (const e of page.events) {
        if (e.seq <= this.cursor) continue;
        this.sink.send(this.frame(e));
        this.cursor = e.seq;
        // Checked per event, so a socket's buffer outgrows the pause limit by one event at most; the rest
        // of the page is read again once it has drained.
        if (this.sink.congested()) return;
      }
      this.cursor = Math.max(this.cursor, page.upTo);
      // A long catch-up yields between pages so other sockets (and the agent's writes) get their turn.
      if (page.events.length >= this.tail.pageSize) await new Promise((r) => setImmediate(r));
    }
  }

  close(): void {
    this.closed = true;
    this.tail.remove(this);
  }
}
