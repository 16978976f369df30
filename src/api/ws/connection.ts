import type { FastifyBaseLogger } from 'fastify';
import WebSocket from 'ws';
import type { GatewayOptions } from './options.ts';
import { CLOSE_LAGGING, LAGGING_REASON } from './protocol.ts';
import type { Sink, Subscription } from './subscription.ts';

// One client socket. Its outgoing buffer is bounded: past `pauseBytes` we stop reading the log for it
// (its subscriptions keep their cursors) and resume from those cursors once it has drained; if it stays
// stuck for `stallMs`, or its buffer passes `hardBytes`, it is closed with 4008 and reconnects with its
// last seq. Nothing here ever waits on the socket, so a slow client cannot hold up the agent or anyone else.

export class Connection implements Sink {
  /** Cleared on each heartbeat, set by a pong or any message: still false at the next beat means dead. */
  alive = true;
  private paused = false;
  private pausedAt = 0;
  private drainTimer: NodeJS.Timeout | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private done = false;
  readonly subscriptions = new Map<string, Subscription>();

  constructor(
    readonly ws: WebSocket,
    private readonly opts: GatewayOptions,
    private readonly log: FastifyBaseLogger,
    private readonly onGone: (c: Connection) => void,
  ) {
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('message', () => {
      this.alive = true;
    });
    ws.on('close', () => this.dispose());
  }

  get writable(): boolean {
    return !this.done && !this.paused && this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  congested(): boolean {
    const buffered = this.ws.bufferedAmount;
    if (buffered > this.opts.hardBytes) {
      this.closeLagging();
      return true;
    }
    if (buffered > this.opts.pauseBytes && !this.paused) {
      this.paused = true;
      this.pausedAt = Date.now();
      this.drainTimer = setInterval(() => this.checkDrained(), this.opts.drainCheckMs);
      this.log.debug({ buffered }, 'websocket client paused: slow reader');
    }
    return this.paused;
  }

  private checkDrained(): void {
    if (this.ws.bufferedAmount <= this.opts.resumeBytes) {
      this.resume();
    } else if (Date.now() - this.pausedAt > this.opts.stallMs) {
      this.closeLagging();
    }
  }

  private resume(): void {
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = null;
    this.paused = false;
    for (const s of this.subscriptions.values()) s.wake();
  }

  /** Tells the client to come back with its cursor; a client too stuck to read the close frame is cut off. */
  closeLagging(): void {
    if (this.done) return;
    this.log.info({ buffered: this.ws.bufferedAmount }, 'websocket client closed: too far behind');
    this.close(CLOSE_LAGGING, LAGGING_REASON);
  }

  close(code: number, reason: string): void {
    if (this.done) return;
    this.dispose();
    try {
      this.ws.close(code, reason);
    } catch {
      // A socket still connecting or already gone: terminate below covers it.
    }
    this.killTimer = setTimeout(() => this.ws.terminate(), this.opts.closeGraceMs);
    this.killTimer.unref();
  }

  terminate(): void {
    this.dispose();
    this.ws.terminate();
  }

  fail(err: unknown): void {
    this.log.warn({ err }, 'websocket subscription failed; closing so the client reconnects with its cursor');
    this.close(1011, 'server error: reconnect with after=<last seq received>');
  }

  private dispose(): void {
    if (this.done) return;
    this.done = true;
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = null;
    for (const s of this.subscriptions.values()) s.close();
    this.subscriptions.clear();
    this.onGone(this);
  }
}
