import { appendAgentOutput } from '../commands/runner.ts';
import type { OutputEventBody } from '../domain/events.ts';
import { StoreUnavailableError } from '../domain/errors.ts';
import type { Store, Tx } from '../store/types.ts';

// Stores a turn's output as it arrives. When no write is under way an event is written at once (the
// store still groups whatever arrives in the same event-loop turn); while one is under way events pile
// up and go together as soon as it commits — batching that costs no waiting. `flushMs` bounds the wait
// in any case, and `maxBatch` the batch size. One transaction per batch. Writes are serialized, so events land in arrival order, and
// other transactions of the turn (permission requests, the final one) queue behind pending output.
// When the store is briefly unavailable a batch is retried; after `giveUpMs` the turn is abandoned.

export interface WriterOptions {
  store: Store;
  sessionId: string;
  owner: string;
  flushMs: number;
  maxBatch: number;
  giveUpMs: number;
  /** Called once when writing failed for good (lease lost, store gone): the turn must stop. */
  onFailure(err: unknown): void;
  /** Called with the number of events not yet committed, for backpressure. */
  onBacklog?(backlog: number): void;
}

export class OutputWriter {
  private buf: OutputEventBody[] = [];
  private inFlight = 0;
  /** Transactions of this writer started and not yet settled. */
  private running = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  /** A flush is waiting in the chain: it will take everything buffered, so no other is needed. */
  private flushQueued = false;
  private failure: unknown = null;
  /** Total events committed; the bench reads it. */
  committed = 0;

  constructor(private readonly o: WriterOptions) {}

  get backlog(): number {
    return this.buf.length + this.inFlight;
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  push(e: OutputEventBody): void {
    if (this.failure) return;
    this.buf.push(e);
    this.o.onBacklog?.(this.backlog);
    if (this.flushQueued) return; // the queued flush takes everything buffered when it runs
    if (this.buf.length >= this.o.maxBatch || this.running === 0) void this.flush().catch(() => undefined);
    else this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.o.flushMs);
  }

  /** Commits what is buffered now (after whatever is already queued). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flushQueued = true;
    return this.run((tx, events) =>
      appendAgentOutput(tx, { sessionId: this.o.sessionId, owner: this.o.owner, events }),
    );
  }

  /**
   * Runs `fn` in a transaction after everything queued before it, handing it the buffered events so
   * it commits them together with its own writes.
   */
  run<T>(fn: (tx: Tx, events: OutputEventBody[]) => Promise<T>): Promise<T> {
    const next = this.chain.then(() => this.execute(fn));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async execute<T>(fn: (tx: Tx, events: OutputEventBody[]) => Promise<T>): Promise<T> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flushQueued = false;
    if (this.failure) throw this.failure;
    const events = this.buf;
    this.buf = [];
    this.inFlight = events.length;
    this.running++;
    const started = Date.now();
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const result = await this.o.store.transaction((tx) => fn(tx, events));
          this.committed += events.length;
          return result;
        } catch (err) {
          const transient = err instanceof StoreUnavailableError;
          if (!transient || Date.now() - started > this.o.giveUpMs) throw err;
          await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
        }
      }
    } catch (err) {
      this.failure = err;
      this.buf = [];
      this.o.onFailure(err);
      throw err;
    } finally {
      this.inFlight = 0;
      this.running--;
      this.o.onBacklog?.(this.backlog);
      // What arrived during this write goes now, rather than after the timer.
      if (!this.failure && this.buf.length > 0 && !this.flushQueued) void this.flush().catch(() => undefined);
    }
  }
}
