import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../domain/errors.ts';
import { countRateLimited } from '../../metrics/registry.ts';
import type { LoginLimiter } from '../access.ts';

// Rate limits (README "Limits"), counted per client address (limits/client.ts) in fixed one-minute
// windows by @fastify/rate-limit's store: writes (POST, PUT, PATCH, DELETE on the API) and wrong tokens.
// Past a limit the answer is 429 `{error, code:"rate_limited"}` with Retry-After in seconds. Counts are
// per server process: PostgreSQL instances each count their own clients.

const WINDOW_MS = 60_000;
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Seconds until the client may try again; 0 when it may now. Counting (`increment`): this one went past
 * the limit. Only looking: the limit is used up, so the next one would.
 */
type Wait = (req: FastifyRequest, increment: boolean) => Promise<number>;

function limiter(
  app: FastifyInstance,
  max: number,
  key: (req: FastifyRequest) => string,
  name: 'writes' | 'logins',
): Wait {
  const check = app.createRateLimit({ max, timeWindow: WINDOW_MS, keyGenerator: key });
  return async (req, increment) => {
    const r = await check(req, { increment });
    if (r.isAllowed) return 0;
    const over = increment ? r.isExceeded : r.remaining === 0;
    // Every caller refuses the request with a 429 when this says wait (once per request): GET /api/metrics.
    if (over) countRateLimited(name);
    return over ? Math.max(1, r.ttlInSeconds) : 0;
  };
}

export interface RateLimitSettings {
  /** Writes per minute per client; 0: unlimited. */
  writesPerMinute: number;
  /** Wrong tokens per minute per client; 0: unlimited. */
  failedLoginsPerMinute: number;
  /** The client's key: its address as limits/client.ts finds it. */
  key: (req: FastifyRequest) => string;
}

/** Registers the plugin (its store only: no route gets its global hook) and returns the two limiters. */
export async function rateLimits(
  app: FastifyInstance,
  s: RateLimitSettings,
): Promise<{ logins: LoginLimiter | null; writes: Wait | null }> {
  await app.register(rateLimit, { global: false });
  const loginWait = s.failedLoginsPerMinute > 0 ? limiter(app, s.failedLoginsPerMinute, s.key, 'logins') : null;
  const logins: LoginLimiter | null = loginWait && {
    blockedFor: (req) => loginWait(req, false),
    failed: (req) => loginWait(req, true),
  };
  const writes = s.writesPerMinute > 0 ? limiter(app, s.writesPerMinute, s.key, 'writes') : null;
  return { logins, writes };
}

/**
 * The write limit, as an onRequest hook that runs after access control (so only clients with the token
 * are counted, and a 401 stays a 401). `apiPrefix` is `${BASE_URL}/api/`.
 */
export function limitWrites(app: FastifyInstance, writes: Wait, apiPrefix: string): void {
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!WRITE_METHODS.has(req.method)) return;
    const route = req.routeOptions?.url ?? req.url;
    if (!route.startsWith(apiPrefix)) return;
    const wait = await writes(req, true);
    if (wait === 0) return;
    const e = errors.rateLimited('Too many changes in a short time', wait);
    return reply
      .code(e.status)
      .header('retry-after', String(wait))
      .type('application/json')
      .send({ error: e.message, code: e.code });
  });
}
