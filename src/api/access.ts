import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AppError, errors } from '../domain/errors.ts';
import { type ClientInfo, clientInfo } from './limits/client.ts';

// CONTRACT section 2: who may talk to the server. Checked in one onRequest hook, so HTTP routes and the
// WebSocket upgrades (which are GET requests through the same hooks) get the same treatment.

export const COOKIE_NAME = 'gmgui_token';

/** Failed logins: how long a client must wait (seconds, 0: it may try now), and counting one more. */
export interface LoginLimiter {
  blockedFor(req: FastifyRequest): Promise<number>;
  /** Counts a wrong credential; the wait when this one went past the limit, else 0. */
  failed(req: FastifyRequest): Promise<number>;
}

export interface AccessOptions {
  token: string;
  baseUrl: string;
  /** Extra origins (full `scheme://host[:port]`) or bare hosts to accept. */
  allowedOrigins: string[];
  /** Which TCP peers are trusted proxies (limits/client.ts). */
  trustedProxy: (addr: string | undefined) => boolean;
  /** Absent: failed logins are not limited. */
  logins?: LoginLimiter | null;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time: compares fixed-length digests, so neither length nor content leaks through timing. */
export function tokenMatches(given: string | undefined | null, expected: string): boolean {
  if (!given) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

/** A query key as a parser reads it: `+` a space, percent-escapes decoded (a malformed one left as is). */
function decodeKey(key: string): string {
  const s = key.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
}

/**
 * Never let the token reach the logs, however the URL spells it: the query parser decodes keys, so
 * `?%74oken=` is `?token=` to the access check and must be to the logs too. Any key that reads as
 * "token" after up to three rounds of decoding (and in any case) has its value replaced.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url
    .slice(q + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      const raw = eq < 0 ? part : part.slice(0, eq);
      let key = raw;
      for (let i = 0; i < 3; i++) {
        const decoded = decodeKey(key);
        if (decoded === key) break;
        key = decoded;
      }
      return /token/i.test(key) ? `${raw}=[redacted]` : part;
    });
  return `${url.slice(0, q + 1)}${parts.join('&')}`;
}

export interface HostParts {
  /** Lower case, without brackets for an IPv6 literal. */
  name: string;
  port: number | null;
}

/**
 * A Host header as RFC 9110 has it: `reg-name[:port]`, `IPv4[:port]` or `[IPv6][:port]`, nothing more.
 * Null for anything else (`[::1]anything`, two colons, spaces, an empty name, a port over 65535).
 */
export function parseHost(raw: string | undefined): HostParts | null {
  if (!raw) return null;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9_.-]+))(?::(\d{1,5}))?$/.exec(raw);
  if (!m) return null;
  if (m[1] !== undefined && isIP(m[1]) !== 6) return null;
  const port = m[3] === undefined ? null : Number(m[3]);
  if (port !== null && (port < 1 || port > 65535)) return null;
  return { name: (m[1] ?? m[2]).toLowerCase(), port };
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

/** `scheme://host[:port]` as browsers serialize an origin (default port dropped), or null. */
function normalOrigin(s: string): string | null {
  try {
    const o = new URL(s).origin;
    return o === 'null' ? null : o;
  } catch {
    return null;
  }
}

/** GMGUI_ALLOWED_ORIGINS: full origins as given; a bare host (no scheme) means its http and https origins. */
function allowedLists(entries: readonly string[]) {
  const origins = new Set<string>();
  const hosts = new Set<string>();
  for (const entry of entries) {
    const bare = !entry.includes('://');
    const forms = bare ? [`http://${entry}`, `https://${entry}`] : [entry];
    let understood = false;
    for (const form of forms) {
      const o = normalOrigin(form);
      if (!o) continue;
      understood = true;
      origins.add(o);
      const u = new URL(o);
      hosts.add(u.host.toLowerCase());
      hosts.add(u.hostname.toLowerCase());
    }
    if (!understood) hosts.add(entry.toLowerCase());
  }
  return { origins, hosts };
}

export function accessControl(app: FastifyInstance, opts: AccessOptions): void {
  const allowed = allowedLists(opts.allowedOrigins);
  const base = opts.baseUrl;
  const protectedPrefixes = [`${base}/api/`, `${base}/sync`, `${base}/stream`, `${base}/ws`];
  const publicPaths = new Set([`${base}/api/health`]);

  // A name that an attacker's DNS could point at us (rebinding) is refused; IP literals cannot be rebound.
  const hostAllowed = (raw: string, host: HostParts): boolean => {
    const withPort = raw.toLowerCase();
    return (
      LOOPBACK_NAMES.has(host.name) ||
      isIP(host.name) !== 0 ||
      allowed.hosts.has(withPort) ||
      allowed.hosts.has(host.name) ||
      allowed.hosts.has(`[${host.name}]`)
    );
  };

  // Same origin means same scheme, host and port: http://127.0.0.1:3000 is not https://127.0.0.1:3000.
  const originAllowed = (origin: string, rawHost: string, client: ClientInfo): boolean => {
    const given = normalOrigin(origin);
    if (!given || given !== origin.toLowerCase()) return false;
    return allowed.origins.has(given) || given === normalOrigin(`${client.scheme}://${rawHost}`);
  };

  const deny = (reply: FastifyReply, e: AppError, retryAfter?: number) => {
    if (retryAfter) reply.header('retry-after', String(retryAfter));
    return reply.code(e.status).type('application/json').send({ error: e.message, code: e.code });
  };

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const rawHost = req.headers.host;
    const host = parseHost(rawHost);
    if (!host || !hostAllowed(rawHost as string, host))
      return deny(reply, errors.hostNotAllowed(rawHost ?? ''));
    const client = clientInfo(req, opts.trustedProxy);
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, rawHost as string, client)) {
      return deny(reply, errors.originNotAllowed(origin));
    }
    const path = req.url.split('?')[0];
    const query = req.query as Record<string, unknown> | undefined;
    const queryToken = typeof query?.token === 'string' ? query.token : undefined;
    // Judge by the route the router actually chose as well as by the raw path: the router decodes
    // percent-escapes, so "/%61pi/conversations" reaches /api/conversations while its raw path does not
    // start with /api/ (that was a way in without the token).
    const route = req.routeOptions?.url;
    const isProtected = (p: string) =>
      protectedPrefixes.some((pre) => p === pre.replace(/\/$/, '') || p.startsWith(pre));
    const needsToken = route !== undefined ? isProtected(route) || isProtected(path) : isProtected(path);
    const open = !needsToken || publicPaths.has(route ?? path);
    const auth = req.headers.authorization;
    const bearer = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
    const cookie = parseCookies(req.headers.cookie)[COOKIE_NAME];
    // What this request tries as a token: on a public page only ?token= is looked at (it sets the cookie).
    const tried = open ? !!queryToken : !!(bearer || queryToken || cookie);
    // A client past the failed-login limit is not told whether its token is right until the wait is over,
    // or the limit would not slow guessing at all. No credential at all is no guess: a plain 401.
    if (tried && opts.logins) {
      const wait = await opts.logins.blockedFor(req);
      if (wait > 0) return deny(reply, errors.rateLimited('Too many wrong tokens', wait), wait);
    }
    const queryTokenOk = tokenMatches(queryToken, opts.token);
    if (queryTokenOk) {
      // First page load from the printed URL: remember the browser, so the token can leave the address bar.
      // Secure when the page came over HTTPS (directly or through a trusted proxy): the browser then never
      // sends it over plain HTTP.
      const secure = client.scheme === 'https' ? '; Secure' : '';
      reply.header(
        'set-cookie',
        `${COOKIE_NAME}=${encodeURIComponent(opts.token)}; Path=${base || '/'}; HttpOnly; SameSite=Strict; Max-Age=31536000${secure}`,
      );
    }
    const ok = open
      ? !queryToken || queryTokenOk
      : queryTokenOk || tokenMatches(bearer, opts.token) || tokenMatches(cookie, opts.token);
    if (ok) return;
    // A wrong token counts against the limit wherever it is tried: even on a public page a right
    // ?token= would give itself away by the cookie it sets.
    if (tried && opts.logins) {
      const wait = await opts.logins.failed(req);
      if (wait > 0) return deny(reply, errors.rateLimited('Too many wrong tokens', wait), wait);
    }
    if (open) return;
    return deny(reply, errors.unauthorized());
  });
}
