import type { Server } from 'node:http';

// How long a client may take (README "Limits"). Fastify turns Node's request timeout off by default;
// a client that trickles its headers or body (slowloris) would hold a socket and a parser forever.
// A request past a timeout is answered 408 `request_timeout` (app.ts clientError) and its socket closed.
// None of them applies to a WebSocket once upgraded (ws clears the socket timeout; the gateway has its
// own heartbeat), nor to the time a handler or a slow reader takes over a response once the request is in.

export interface TimeoutSettings {
  /** The request line and headers must have arrived within this. */
  headersTimeoutMs: number;
  /** The whole request, body included, must have arrived within this. */
  requestTimeoutMs: number;
  /** A connection on which nothing moves (either way) for this long is closed. */
  idleTimeoutMs: number;
}

export function applyServerTimeouts(server: Server, t: TimeoutSettings): void {
  // Node needs headersTimeout <= requestTimeout; config.ts keeps them so.
  server.requestTimeout = t.requestTimeoutMs;
  server.headersTimeout = Math.min(t.headersTimeoutMs, t.requestTimeoutMs);
  // How often Node looks for expired requests (its default, 30 s, would let a 10 s limit run to 40 s).
  // (A property Node reads when the server starts listening; its typings only know the constructor option.)
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(
    250,
    Math.min(1_000, Math.floor(server.headersTimeout / 4)),
  );
  server.setTimeout(t.idleTimeoutMs);
}
