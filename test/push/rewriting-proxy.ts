import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { listenLoopback } from '../helpers/loopback.ts';

// An HTTP proxy in front of a test server that can change one file on its way to the browser: how a
// test makes "a new build was deployed" without touching web/dist, which other tests are serving.
// WebSocket upgrades are passed through as raw bytes.

export interface RewritingProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Path → rewrite of the response body; absent paths pass unchanged. */
  rewrite: Map<string, (body: string) => string>;
  close(): Promise<void>;
}

export async function startRewritingProxy(target: string): Promise<RewritingProxy> {
  const t = new URL(target);
  const rewrite = new Map<string, (body: string) => string>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const change = rewrite.get(path);
    const headers = { ...req.headers };
    if (change) {
      // The whole file, so it can be changed (not a 304 for the copy the browser has).
      delete headers['if-none-match'];
      delete headers['if-modified-since'];
    }
    const upstream = request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers },
      (up) => {
        if (!change) {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const body = change(Buffer.concat(chunks).toString('utf8'));
          const headers = { ...up.headers, 'content-length': String(Buffer.byteLength(body)) };
          delete headers.etag;
          delete headers['last-modified'];
          res.writeHead(up.statusCode ?? 502, headers).end(body);
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (req, socket, head) => {
    const up = connect(Number(t.port), t.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  const { port, close } = await listenLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    rewrite,
    close,
  };
}
