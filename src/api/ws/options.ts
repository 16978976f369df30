import type { Config } from '../../config.ts';

/** The gateway's limits. Defaults suit a browser on a home network; tests and benches pass their own. */
export interface GatewayOptions {
  /** Ping every socket this often; one that neither answered the previous ping nor took any data since is dropped. */
  pingIntervalMs: number;
  /** Events per read of the log. */
  pageSize: number;
  /** Bytes of JSON per read of the log, about (limits/event-pages.ts). */
  pageBytes: number;
  /** Stop reading the log for a socket whose unsent bytes pass this. */
  pauseBytes: number;
  /** Resume it once they are back under this. */
  resumeBytes: number;
  /** Close a socket (4008) that stays paused this long without draining a byte. */
  stallMs: number;
  drainCheckMs: number;
  /** After a close frame, how long a peer gets to answer before its socket is cut. */
  closeGraceMs: number;
  /**
   * The shared ring of recent events per conversation and for /sync (feed.ts): at most this many
   * events… (0: no ring; every subscription reads the log itself, as a subscription behind the ring does).
   */
  ringEvents: number;
  /** …and about this many bytes of JSON. A subscription further behind reads pages of the log instead. */
  ringBytes: number;
  /** Subscriptions on one /ws socket. */
  maxSubscriptions: number;
  /** Largest frame a client may send. */
  maxPayload: number;
}

export const DEFAULT_GATEWAY_OPTIONS: GatewayOptions = {
  pingIntervalMs: 15_000,
  pageSize: 250,
  pageBytes: 256 * 1024,
  pauseBytes: 1024 * 1024,
  resumeBytes: 256 * 1024,
  stallMs: 30_000,
  drainCheckMs: 20,
  closeGraceMs: 1_000,
  ringEvents: 1024,
  ringBytes: 256 * 1024,
  maxSubscriptions: 256,
  maxPayload: 64 * 1024,
};

export function resolveGatewayOptions(config: Config, given: Partial<GatewayOptions> = {}): GatewayOptions {
  const o: GatewayOptions = {
    ...DEFAULT_GATEWAY_OPTIONS,
    pingIntervalMs: config.wsPingIntervalMs,
    stallMs: config.wsStallMs,
    ringEvents: config.wsRingEvents,
    ...given,
  };
  // Stores cap one read at 10,000 rows; a page must stay under that cap, or a full page would look short.
  o.pageSize = Math.max(1, Math.min(o.pageSize, 5_000));
  o.resumeBytes = Math.min(o.resumeBytes, o.pauseBytes);
  o.pageBytes = Math.max(1024, o.pageBytes);
  return o;
}
