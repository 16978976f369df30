import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import { type AppError, errors } from '../domain/errors.ts';
import { redactUrl } from './access.ts';
import type { AppContext } from './context.ts';
import { errorHandling, sendError } from './errors.ts';
import { guardRequests } from './limits/index.ts';
import { type RouteOptions, routePlugins } from './routes/index.ts';

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

/** Node's HTTP parser errors, as ours. */
const CLIENT_ERRORS: Record<string, () => AppError> = {
  ERR_HTTP_REQUEST_TIMEOUT: () => errors.requestTimeout(),
  HPE_HEADER_OVERFLOW: () => errors.headersTooLarge(),
};

/** Answers a request Node's HTTP parser rejected, in the `{error, code}` shape, then closes the socket. */
function clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const known = err.code ? CLIENT_ERRORS[err.code] : undefined;
  const e = known ? known() : errors.badRequest('The request is not valid HTTP.');
  const json = JSON.stringify({ error: e.message, code: e.code });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status]}\r\nContent-Length: ${Buffer.byteLength(json)}\r\n` +
        `Content-Type: application/json\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(err);
}

export interface BuildAppOptions {
  ctx: Omit<AppContext, 'log'>;
  token: string;
  logger?: FastifyServerOptions['logger'] | false;
  /** No log line per request (a person's terminal, src/cli/logging.ts). */
  disableRequestLogging?: boolean;
  routes?: RouteOptions;
}

export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = opts.ctx;
  const app = Fastify({
    logger: opts.logger ?? loggerOptions(config.logLevel),
    logController: new LogController({ disableRequestLogging: opts.disableRequestLogging ?? false }),
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
      const e = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? errors.urlTooLong() : errors.badUrl();
      return sendError(res as FastifyReply, e);
    },
    clientErrorHandler: clientError,
  });
  app.decorate('ctx', { ...opts.ctx, log: app.log });
  const base = config.baseUrl;
  await guardRequests(app, { token: opts.token, config });
  errorHandling(app, `${base}/api`);
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-request-id', req.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    return payload;
  });

  // Every route, from the one list in routes/index.ts.
  await app.register(
    async (scoped) => {
      for (const plugin of routePlugins(opts.routes)) await scoped.register(plugin);
    },
    { prefix: base },
  );
  return app;
}
