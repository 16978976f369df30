import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
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
