import { EventEmitter } from 'node:events';
import pg from 'pg';
import { NOTIFY_CHANNEL } from './event-append.ts';

// Tells this instance's listeners that the log grew, whoever appended. The log is the data; this is only
// the wake-up, so every path here may lose or repeat a signal without harm:
// - our own commits report their seq directly (fastest path);
// - a dedicated connection LISTENs for the NOTIFY each appending transaction sends on commit (other
//   instances); it reconnects with backoff when the connection drops;
// - a timer polls the log head, so a notification lost while reconnecting only delays a wake-up by at
//   most one poll interval.
// Listeners are called with a seq only when it is higher than any reported before: because commits
// happen in seq order (event-append.ts), "seq N is visible" means everything up to N is, and a reader reading
// after its own cursor will find all of it.

export interface AppendWatcherOptions {
  clientConfig: pg.ClientConfig;
  pollMs: number;
  /** Reads the newest committed seq (via the pool). */
  readHead: () => Promise<number>;
  onError: (err: unknown) => void;
}

const MAX_BACKOFF_MS = 5_000;

export class AppendWatcher {
  private readonly emitter = new EventEmitter();
  private highest = 0;
  private client: pg.Client | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private backoffMs = 100;
  private closed = false;
  private polling = false;

  constructor(private readonly opts: AppendWatcherOptions) {
    this.emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    this.highest = await this.opts.readHead();
    await this.connect();
    this.pollTimer = setInterval(() => void this.poll(), this.opts.pollMs);
    this.pollTimer.unref();
  }

  on(listener: (lastSeq: number) => void): () => void {
    this.emitter.on('append', listener);
    return () => this.emitter.off('append', listener);
  }

  /** Reports a seq (ours after a commit, or one learnt from a notification or a poll). */
  report(seq: number): void {
    if (this.closed || !(seq > this.highest)) return;
    this.highest = seq;
    for (const l of this.emitter.listeners('append') as Array<(s: number) => void>) {
      // One listener's failure must not starve the others of the wake-up.
      try {
        l(seq);
      } catch (err) {
        this.opts.onError(err);
      }
    }
  }

  private async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      this.report(await this.opts.readHead());
    } catch (err) {
      this.opts.onError(err);
    } finally {
      this.polling = false;
    }
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.opts.clientConfig);
    const lost = (err?: unknown) => {
      if (this.client !== client) return;
      this.client = null;
      client.removeAllListeners();
      client.on('error', () => undefined);
      void client.end().catch(() => undefined);
      if (err) this.opts.onError(err);
      this.scheduleReconnect();
    };
    client.on('notification', (msg) => {
      if (msg.channel !== NOTIFY_CHANNEL) return;
      const seq = Number(msg.payload);
      if (Number.isFinite(seq)) this.report(seq);
    });
    client.on('error', (err) => lost(err));
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.backoffMs = 100;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.reconnectTimer = setTimeout(async () => {
      this.reconnectTimer = null;
      try {
        await this.connect();
        // Anything committed while we were not listening is found by reading the head once.
        await this.poll();
      } catch (err) {
        this.opts.onError(err);
        this.scheduleReconnect();
      }
    }, delay);
    this.reconnectTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.emitter.removeAllListeners();
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners();
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
    }
  }
}
