import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

// Serves the built web app (web/dist) under whatever prefix this plugin is registered with (BASE_URL).
// - Hashed assets (assets/*) are immutable and cached for a year; index.html is never cached, so a
//   new build is picked up on the next load.
// - Any other GET that is not an API or WebSocket path and does not look like a file gets index.html
//   (SPA fallback). Paths that look like files stay 404: an HTML page served as a script only
//   produces confusing errors.
// - A strict Content-Security-Policy: even if agent output ever slipped past the sanitizer, inline
//   scripts and event-handler attributes would not run.
// No not-found handler is set here: the app's JSON 404 handler stays in charge of everything else.

export interface WebStaticOptions {
  distDir: string;
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>gmgui</title>
<body style="font-family:system-ui;max-width:40em;margin:10vh auto;padding:1em">
<h1>gmgui</h1><p>The web app has not been built yet. Run <code>npm start</code> (it builds it) or
<code>npm run build:web</code>, then reload this page. The API works meanwhile.</p></body>`;

/** First path segments that belong to the server, never to the SPA fallback. */
const SERVER_SEGMENTS = new Set(['api', 'sync', 'stream', 'ws']);

function pagePath(req: FastifyRequest): string {
  const q = req.url.indexOf('?');
  return q < 0 ? req.url : req.url.slice(0, q);
}

export async function webStaticPlugin(app: FastifyInstance, opts: WebStaticOptions): Promise<void> {
  const indexPath = join(opts.distDir, 'index.html');
  const prefix = app.prefix.replace(/\/+$/, '');

  const pageHeaders = (reply: FastifyReply) =>
    reply
      .header('content-security-policy', CSP)
      .header('cache-control', 'no-cache')
      .header('x-frame-options', 'DENY')
      .type('text/html; charset=utf-8');

  if (!existsSync(indexPath)) {
    app.get('/', async (_req, reply) => pageHeaders(reply).code(503).send(NOT_BUILT));
    return;
  }

  await app.register(fastifyStatic, {
    root: opts.distDir,
    prefix: '/',
    // One route per built file (listed at start) instead of a catch-all, so the SPA fallback
    // below can own every other path.
    wildcard: false,
    index: false,
    decorateReply: false,
    cacheControl: false,
    setHeaders(reply, path) {
      const immutable = /[\\/]assets[\\/]/.test(path);
      reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  const sendIndex = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = pagePath(req);
    // `/gm` must become `/gm/`: the app's relative asset and API URLs resolve against the directory.
    if (prefix && path === prefix) {
      const q = req.url.slice(path.length);
      return reply.redirect(`${path}/${q}`, 308);
    }
    return pageHeaders(reply).send(await readFile(indexPath));
  };

  app.get('/', sendIndex);
  app.get('/*', async (req, reply) => {
    const rest = pagePath(req).slice(prefix.length).replace(/^\/+/, '');
    const first = rest.split('/')[0] ?? '';
    const last = rest.split('/').pop() ?? '';
    if (SERVER_SEGMENTS.has(first) || last.includes('.')) return reply.callNotFound();
    return sendIndex(req, reply);
  });
}
