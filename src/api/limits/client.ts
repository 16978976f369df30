import { BlockList, isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';

// Who is asking, and over which scheme. Behind a reverse proxy the TCP peer is the proxy; its
// X-Forwarded-For / X-Forwarded-Proto headers are believed only when that peer is listed in
// GMGUI_TRUST_PROXY (anyone else could write them). Used for the Secure cookie and the Origin check
// (access.ts) and as the key of the rate limits (limits/rate.ts). README "Access" documents it.

export interface ClientInfo {
  /** The client's address: the peer, or behind trusted proxies the nearest untrusted forwarded address. */
  address: string;
  /** 'https' when the request reached us over TLS, or a trusted proxy says it reached the proxy that way. */
  scheme: 'http' | 'https';
}

/** `::ffff:127.0.0.1` is the IPv4 peer of a dual-stack socket: judge it as IPv4. */
function plainAddress(addr: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  return m ? m[1] : addr;
}

/**
 * The trusted proxies of GMGUI_TRUST_PROXY: addresses, CIDR ranges (`10.0.0.0/8`, `fd00::/8`) and the
 * word `loopback`. Entries were validated by config.ts; one that is not understood here trusts nothing.
 */
export function trustedProxies(entries: readonly string[]): (addr: string | undefined) => boolean {
  if (entries.length === 0) return () => false;
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry === 'loopback') {
      list.addSubnet('127.0.0.0', 8, 'ipv4');
      list.addAddress('::1', 'ipv6');
      continue;
    }
    const [ip, bits] = entry.split('/');
    const family = isIP(ip);
    if (!family) continue;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(bits), type);
  }
  return (addr) => {
    if (!addr) return false;
    const a = plainAddress(addr);
    const family = isIP(a);
    return family !== 0 && list.check(a, family === 4 ? 'ipv4' : 'ipv6');
  };
}

function firstValue(header: string | string[] | undefined): string | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  return v?.split(',')[0]?.trim().toLowerCase() || undefined;
}

/** The client and scheme of a request, given which peers are trusted proxies. */
export function clientInfo(req: FastifyRequest, trusted: (addr: string | undefined) => boolean): ClientInfo {
  const socket = req.raw.socket as typeof req.raw.socket & { encrypted?: boolean };
  const peer = plainAddress(socket.remoteAddress ?? '');
  const tls = socket.encrypted === true;
  if (!trusted(peer)) return { address: peer, scheme: tls ? 'https' : 'http' };
  // Walk X-Forwarded-For from the nearest hop outwards, past every proxy we trust: the first other
  // address is the client (the ones further left were written by whoever the client is).
  const hops = [req.headers['x-forwarded-for']]
    .flat()
    .filter((h): h is string => typeof h === 'string')
    .join(',')
    .split(',')
    .map((s) => plainAddress(s.trim()))
    .filter(Boolean);
  let address = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    address = hops[i];
    if (!trusted(address)) break;
  }
  const proto = firstValue(req.headers['x-forwarded-proto']);
  return { address, scheme: tls || proto === 'https' ? 'https' : 'http' };
}
