import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { accessControl } from './access.ts';
import type { AppContext } from './context.ts';
import { errorHandling } from './errors.ts';
import { conversationRoutes } from './routes/conversations.ts';
import { eventRoutes } from './routes/events.ts';
import { fileRoutes } from './routes/files.ts';
import { messageRoutes } from './routes/messages.ts';
import { sessionRoutes } from './routes/sessions.ts';

/** Never let the token reach the logs, wherever it travels. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/g, '$1[redacted]');
}

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    serializers: {
      req: (req: { method: string; url: string; id: string; ip?: string }) => ({
        method: req.method,
        url: redactUrl(req.url),
        id: req.id,
        remoteAddress: req.ip,
      }),
    },
  };
}

const CLIENT_ERRORS: Record<string, { status: number; text: string; error: string; code: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    text: 'Request Timeout',
    error: 'The request took too long to arrive.',
    code: 'request_timeout',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    text: 'Request Header Fields Too Large',
    error: 'The request headers are too large.',
    code: 'headers_too_large',
  },
};
const BAD_HTTP = { status: 400, text: 'Bad Request', error: 'The request is not valid HTTP.', code: 'bad_request' };

/** Answers a request Node's HTTP parser rejected, in the `{error, code}` shape, then closes the socket. */
function clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const e = (err.code && CLIENT_ERRORS[err.code]) || BAD_HTTP;
  const json = JSON.stringify({ error: e.error, code: e.code });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${e.status} ${e.text}\r\nContent-Length: ${Buffer.byteLength(json)}\r\n` +
        `Content-Type: application/json\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(err);
}

export interface BuildAppOptions {
  ctx: Omit<AppContext, 'log'>;
  token: string;
  /** Extra plugins registered inside the BASE_URL prefix, after the core routes (WebSocket gateway, web app). */
  plugins?: Array<(app: FastifyInstance) => Promise<void>>;
  logger?: FastifyServerOptions['logger'] | false;
}

export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = opts.ctx;
  const app = Fastify({
    logger: opts.logger ?? loggerOptions(config.logLevel),
    bodyLimit: config.bodyLimit,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // Fastify's own answers for a URL it cannot decode and for unparseable HTTP lack our `{error, code}`.
    frameworkErrors: (err, _req, res) => {
      const reply = res as FastifyReply;
      if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
        return reply.code(414).send({ error: 'A part of the URL is too long.', code: 'url_too_long' });
      }
      return reply.code(400).send({ error: 'The URL is not valid (bad percent-encoding).', code: 'bad_url' });
    },
    clientErrorHandler: clientError,
  });
  app.decorate('ctx', { ...opts.ctx, log: app.log });
  const base = config.baseUrl;
  accessControl(app, { token: opts.token, baseUrl: base, allowedOrigins: config.allowedOrigins });
  errorHandling(app, `${base}/api`);
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-request-id', req.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    return payload;
  });

  await app.register(
    async (scoped) => {
      scoped.get('/api/health', async () => ({ ok: true, store: config.databaseUrl ? 'postgres' : 'sqlite' }));
      await scoped.register(conversationRoutes);
      await scoped.register(messageRoutes);
      await scoped.register(sessionRoutes);
      await scoped.register(eventRoutes);
      await scoped.register(fileRoutes);
      for (const plugin of opts.plugins ?? []) await scoped.register(plugin);
    },
    { prefix: base },
  );
  return app;
}
