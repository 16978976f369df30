import type { FastifyRequest } from 'fastify';
import { fingerprint, type IdempotencyRequest } from '../commands/idempotency.ts';
import { errors } from '../domain/errors.ts';

const KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * The idempotency key of a creating POST: the `Idempotency-Key` header or `idempotencyKey` in the body,
 * the same key either way. The key is not part of the fingerprinted payload.
 */
export function idempotencyOf(
  req: FastifyRequest,
  scope: string,
  payload: unknown,
  ttlMs: number,
): { idem: IdempotencyRequest | null; key: string | null } {
  const header = req.headers['idempotency-key'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const body = req.body as { idempotencyKey?: unknown } | undefined;
  const fromBody = body && typeof body === 'object' ? body.idempotencyKey : undefined;
  if (fromBody !== undefined && fromBody !== null && typeof fromBody !== 'string') {
    throw errors.invalidRequest('idempotencyKey must be a string.');
  }
  if (fromHeader !== undefined && fromBody && fromHeader !== fromBody) {
    throw errors.idempotencyKeyConflict();
  }
  const key = fromHeader ?? (fromBody || undefined);
  if (key === undefined) return { idem: null, key: null };
  if (!KEY.test(key)) {
    throw errors.invalidIdempotencyKey();
  }
  return {
    key,
    idem: { scope, key, fingerprint: fingerprint({ scope, payload }), expiredBefore: Date.now() - ttlMs },
  };
}
