import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import WebSocket from 'ws';
import type { GatewayOptions } from './options.ts';
import { CLOSE_LAGGING, CLOSE_SERVER_ERROR, LAGGING_REASON } from './protocol.ts';
import type { Sink, Subscription } from './subscription.ts';

// One client socket. Its outgoing buffer is bounded: past `pauseBytes` we stop reading the log for it
// (its subscriptions keep their cursors) and resume from those cursors once it has drained. One that
// makes no progress at all for `stallMs` is closed with 4008 and reconnects with its last seq. Nothing
// here ever waits on the socket, so a slow client cannot hold up the agent or anyone else.

export class Connection implements Sink {
  private ponged = true;
  private handedAtBeat = 0;
  private paused = false;
  private progressAt = 0;
  private bufferedAtCheck = 0;
  private drainTimer: NodeJS.Timeout | null = null;
  private done = false;
  readonly subscriptions = new Map<string, Subscription>();

  constructor(
    readonly ws: WebSocket,
    /** The TCP socket under `ws`: how much of what we sent the kernel took tells a slow peer from a dead one. */
    private readonly tcp: Socket,
    private readonly opts: GatewayOptions,
    private readonly log: FastifyBaseLogger,
    private readonly onGone: (c: Connection) => void,
  ) {
    ws.on('pong', () => {
      this.ponged = true;
    });
    ws.on('message', () => {
      this.ponged = true;
    });
    ws.on('close', () => this.dispose());
  }

  /** True once closed or closing: nothing more will be sent, subscriptions are gone. */
  get gone(): boolean {
    return this.done;
  }

  get writable(): boolean {
    return !this.done && !this.paused && this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  /** Bytes the kernel has accepted from us so far (not counting what still waits in Node's buffer). */
  private handed(): number {
    return this.tcp.bytesWritten - this.tcp.writableLength;
  }

  /**
   * One heartbeat: false when the peer neither answered the last ping nor took any data since.
   * A client on a slow link reads its pong late, behind the data queued before it; it is still draining, so it lives.
   */
  beat(): boolean {
    const handed = this.handed();
    // Our own ping frames (2 bytes each) reach the kernel whether or not anyone listens: they prove nothing.
    const alive = this.ponged || handed > this.handedAtBeat + 64;
    this.ponged = false;
    this.handedAtBeat = handed;
    if (alive && this.ws.readyState === WebSocket.OPEN) this.ws.ping();
    return alive;
  }

  congested(): boolean {
    if (this.paused) return true;
    const buffered = this.ws.bufferedAmount;
    if (buffered <= this.opts.pauseBytes) return false;
    this.paused = true;
    this.progressAt = Date.now();
    this.bufferedAtCheck = buffered;
    this.drainTimer = setInterval(() => this.checkDrained(), this.opts.drainCheckMs);
    this.log.debug({ buffered }, 'websocket client paused: slow reader');
    return true;
  }

  private checkDrained(): void {
    const buffered = this.ws.bufferedAmount;
    if (buffered <= this.opts.resumeBytes) {
      this.resume();
      return;
    }
    const now = Date.now();
    if (buffered < this.bufferedAtCheck) this.progressAt = now;
    this.bufferedAtCheck = buffered;
    if (now - this.progressAt > this.opts.stallMs) this.closeLagging();
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
      // Still connecting or already gone: the terminate below covers it.
    }
    setTimeout(() => this.ws.terminate(), this.opts.closeGraceMs).unref();
  }

  terminate(): void {
    this.dispose();
    this.ws.terminate();
  }

  fail(err: unknown): void {
    this.log.warn({ err }, 'websocket subscription failed; closing so the client reconnects with its cursor');
    this.close(CLOSE_SERVER_ERROR, 'server error: reconnect with after=<last seq received>');
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
