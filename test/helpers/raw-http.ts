import { type IncomingMessage, request } from 'node:http';
import { parseJson } from './http.ts';

// HTTP with full control over the headers (fetch will not let a test forge Host), for the access checks
// and for requests that must stay in flight (a body sent in pieces).

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response shapes
  body: any;
}

export interface RawOptions {
  port: number;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Starts a request on a fresh connection; the promise settles with the whole response. */
function start(o: Omit<RawOptions, 'body'>, headers: Record<string, string>) {
  let req!: ReturnType<typeof request>;
  const done = new Promise<RawResponse>((resolve, reject) => {
    req = request(
      {
        host: '127.0.0.1',
        port: o.port,
        method: o.method,
        path: o.path,
        headers: { host: `127.0.0.1:${o.port}`, ...headers },
        // A fresh connection per request: no keep-alive state leaks between access-control cases.
        agent: false,
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parseJson(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
  return { req, done };
}

export function rawRequest(o: RawOptions): Promise<RawResponse> {
  // Content-Length always: Node sends a GET/DELETE body without one, which reads as a second request.
  const length: Record<string, string> =
    o.body !== undefined ? { 'content-length': String(Buffer.byteLength(o.body)) } : {};
  const { req, done } = start(o, { ...length, ...o.headers });
  req.end(o.body);
  return done;
}

/**
 * Starts a request and sends only `head` of its body; the caller later sends the rest with `finish`.
 * The server has routed the request (hooks ran) but cannot answer before the body is complete.
 */
export function partialRequest(o: Omit<RawOptions, 'body'> & { head: string }): {
  finish(rest: string): Promise<RawResponse>;
} {
  const { req, done } = start(o, o.headers ?? {});
  req.flushHeaders();
  req.write(o.head);
  return {
    finish(rest: string) {
      req.end(rest);
      return done;
    },
  };
}
