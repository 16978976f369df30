import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import { accessControl } from '../access.ts';
import { clientInfo, trustedProxies } from './client.ts';
import { limitWrites, rateLimits } from './rate.ts';
import { applyServerTimeouts } from './timeouts.ts';

// Everything a request meets before its route, in this order: the server's timeouts, access control
// (Host, Origin, token, with the failed-login limit), then the write limit. README "Access" and
// "Limits"; the pending-turn cap is counted where a turn is queued (commands/messages.ts).

export async function guardRequests(
  app: FastifyInstance,
  o: { token: string; config: Config },
): Promise<void> {
  const { config } = o;
  applyServerTimeouts(app.server, config);
  const trustedProxy = trustedProxies(config.trustProxy);
  const key = (req: FastifyRequest) => clientInfo(req, trustedProxy).address;
  const { logins, writes } = await rateLimits(app, {
    writesPerMinute: config.rateLimitWrites,
    failedLoginsPerMinute: config.rateLimitLogins,
    key,
  });
  accessControl(app, {
    token: o.token,
    baseUrl: config.baseUrl,
    allowedOrigins: config.allowedOrigins,
    trustedProxy,
    logins,
  });
  if (writes) limitWrites(app, writes, `${config.baseUrl}/api/`);
}
