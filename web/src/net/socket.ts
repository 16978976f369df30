// A WebSocket that never gives up: it reconnects with backoff after any drop, resuming from the
// last seq it delivered (the URL is rebuilt from the cursor on every attempt), and reports its
// state so the UI can show it. One frame is one event (CONTRACT section 5).

import type { GmEvent } from '../types';

export type ConnState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open' }
  | { kind: 'waiting'; attempt: number; retryAt: number }
  | { kind: 'closed' };

export interface SocketOptions {
  /** Called before each attempt, so the URL carries the newest cursor. */
  url: () => string;
  onEvent: (ev: GmEvent) => void;
  onState: (s: ConnState) => void;
  /** Called when the socket (re)opened: a good moment to flush the outbox. */
  onOpen?: () => void;
  /**
   * The server refused the subscription for good (4400 malformed, 4404 unknown conversation, 4409 cursor
   * beyond the log: the server's data is not what this page saw). The socket stops; the owner decides.
   */
  onRefused?: (code: number) => void;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export function reconnectDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.round(exp * (0.8 + random() * 0.4));
}

/** Close codes after which reconnecting with the same URL cannot succeed. */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([4400, 4404, 4409]);

export class EventSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private openedAt = 0;

  constructor(private readonly opts: SocketOptions) {
    this.connect();
    addEventListener('online', this.nudge);
    addEventListener('offline', this.onOffline);
    document.addEventListener('visibilitychange', this.nudge);
  }

  /** Reconnect now if we are waiting (network back, tab visible again). */
  private readonly nudge = (): void => {
    if (this.stopped || document.visibilityState === 'hidden') return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.connect();
    }
  };

  private readonly onOffline = (): void => {
    // The browser knows the network is gone; do not wait for a TCP timeout to say so.
    this.ws?.close();
  };

  private connect(): void {
    if (this.stopped) return;
    this.opts.onState({ kind: 'connecting', attempt: this.attempt });
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.opts.url());
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.openedAt = Date.now();
      this.opts.onState({ kind: 'open' });
      this.opts.onOpen?.();
    };
    ws.onmessage = (m) => {
      if (this.ws !== ws || typeof m.data !== 'string') return;
      let ev: GmEvent;
      try {
        ev = JSON.parse(m.data) as GmEvent;
      } catch {
        return;
      }
      if (ev && typeof ev.seq === 'number' && typeof ev.type === 'string') this.opts.onEvent(ev);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (FINAL_CLOSE_CODES.has(ev.code)) {
        this.close();
        this.opts.onRefused?.(ev.code);
        return;
      }
      // A connection that stayed up a while was healthy: start the backoff from scratch.
      if (this.openedAt && Date.now() - this.openedAt > 5_000) this.attempt = 0;
      this.openedAt = 0;
      this.scheduleRetry();
    };
    ws.onerror = () => {
      // onclose follows and handles it.
    };
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    const delay = reconnectDelay(this.attempt, this.opts.baseDelayMs ?? 300, this.opts.maxDelayMs ?? 10_000);
    this.attempt++;
    this.opts.onState({ kind: 'waiting', attempt: this.attempt, retryAt: Date.now() + delay });
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    removeEventListener('online', this.nudge);
    removeEventListener('offline', this.onOffline);
    document.removeEventListener('visibilitychange', this.nudge);
    this.opts.onState({ kind: 'closed' });
  }
}
