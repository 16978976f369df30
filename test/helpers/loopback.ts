import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

// The fake endpoints the tests stand up (model APIs, a push service, a proxy) all listen on an
// ephemeral loopback port and must drop their open connections when closed, or a test's keep-alive
// socket would hold the process open.

export interface Listening {
  port: number;
  /** Drops every open connection and stops listening. */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 at a port the system picks. */
export async function listenLoopback(server: HttpServer | HttpsServer): Promise<Listening> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
