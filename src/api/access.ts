import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.ts';

// CONTRACT section 2: who may talk to the server. Checked in one onRequest hook, so HTTP routes and the
// WebSocket upgrades (which are GET requests through the same hooks) get the same treatment.

export const COOKIE_NAME = 'gmgui_token';

export interface AccessOptions {
  token: string;
  baseUrl: string;
  /** Extra origins (full `scheme://host[:port]`) or bare hosts to accept. */
  allowedOrigins: string[];
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time: compares fixed-length digests, so neither length nor content leaks through timing. */
export function tokenMatches(given: string | undefined | null, expected: string): boolean {
  if (!given) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const i = host.lastIndexOf(':');
  return i > -1 && host.indexOf(':') === i ? host.slice(0, i) : host;
}

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (!k) continue;
    const v = part.slice(i + 1).trim();
    try {
      out[k] = decodeURIComponent(v);
    } catch {
      // Someone else's cookie (or a forged one) with bad percent-encoding: not ours, not a 500.
      out[k] = v;
    }
  }
  return out;
}

export function accessControl(app: FastifyInstance, opts: AccessOptions): void {
  const allowedOrigins = new Set<string>();
  const allowedHosts = new Set<string>();
  for (const entry of opts.allowedOrigins) {
    try {
      const u = new URL(entry.includes('://') ? entry : `http://${entry}`);
      allowedOrigins.add(u.origin);
      allowedHosts.add(u.host.toLowerCase());
      allowedHosts.add(u.hostname.toLowerCase());
    } catch {
      allowedHosts.add(entry.toLowerCase());
    }
  }
  const base = opts.baseUrl;
  const protectedPrefixes = [`${base}/api/`, `${base}/sync`, `${base}/stream`, `${base}/ws`];
  const publicPaths = new Set([`${base}/api/health`]);

  // A name that an attacker's DNS could point at us (rebinding) is refused; IP literals cannot be rebound.
  const hostAllowed = (rawHost: string | undefined): boolean => {
    if (!rawHost) return false;
    const host = rawHost.toLowerCase();
    const name = hostName(host);
    return LOOPBACK_NAMES.has(name) || isIP(name) !== 0 || allowedHosts.has(host) || allowedHosts.has(name);
  };

  const originAllowed = (origin: string, host: string): boolean => {
    if (allowedOrigins.has(origin)) return true;
    try {
      const u = new URL(origin);
      return u.host.toLowerCase() === host.toLowerCase();
    } catch {
      return false;
    }
  };

  const deny = (reply: FastifyReply, e: AppError) =>
    reply.code(e.status).type('application/json').send({ error: e.message, code: e.code });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const host = req.headers.host;
    if (!hostAllowed(host)) {
      return deny(
        reply,
        new AppError(
          403,
          'host_not_allowed',
          `Requests for host "${host ?? ''}" are refused. Add it to GMGUI_ALLOWED_ORIGINS to allow it.`,
        ),
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, host as string)) {
      return deny(
        reply,
        new AppError(
          403,
          'origin_not_allowed',
          `Cross-site requests from "${origin}" are refused. Add it to GMGUI_ALLOWED_ORIGINS to allow it.`,
        ),
      );
    }
    const path = req.url.split('?')[0];
    const query = req.query as Record<string, unknown> | undefined;
    const queryToken = typeof query?.token === 'string' ? query.token : undefined;
    if (queryToken && tokenMatches(queryToken, opts.token)) {
      // First page load from the printed URL: remember the browser, so the token can leave the address bar.
      reply.header(
        'set-cookie',
        `${COOKIE_NAME}=${encodeURIComponent(opts.token)}; Path=${base || '/'}; HttpOnly; SameSite=Strict; Max-Age=31536000`,
      );
    }
    // Judge by the route the router actually chose as well as by the raw path: the router decodes
    // percent-escapes, so "/%61pi/conversations" reaches /api/conversations while its raw path does not
    // start with /api/ (that was a way in without the token).
    const route = req.routeOptions?.url;
    const isProtected = (p: string) => protectedPrefixes.some((pre) => p === pre.replace(/\/$/, '') || p.startsWith(pre));
    const needsToken = route !== undefined ? isProtected(route) || isProtected(path) : isProtected(path);
    if (!needsToken || publicPaths.has(route ?? path)) {
      return;
    }
    const auth = req.headers.authorization;
    const bearer = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
    const cookie = parseCookies(req.headers.cookie)[COOKIE_NAME];
    if (tokenMatches(bearer, opts.token) || tokenMatches(queryToken, opts.token) || tokenMatches(cookie, opts.token)) {
      return;
    }
    return deny(
      reply,
      new AppError(
        401,
        'unauthorized',
        'A valid access token is required: open the URL the server printed at start, or send Authorization: Bearer <token>.',
      ),
    );
  });
}
