import { AppError, StoreUnavailableError } from '../../domain/errors.ts';

// What a failed query means for the caller: run the transaction again, tell the client 503, or neither
// (a bug: let it surface as it is).

interface PgLikeError {
  code?: string;
  constraint?: string;
  message?: string;
}

const asPg = (e: unknown): PgLikeError => (e && typeof e === 'object' ? (e as PgLikeError) : {});

/**
 * Worth re-running the whole transaction:
 * - 40001 serialization failure, 40P01 deadlock (two commands locked the same rows in different orders);
 * - 23505 on the idempotency key: a concurrent request with the same key committed first. Re-running finds
 *   its record and replays it, which is the one-effect guarantee of CONTRACT section 4.
 */
export function isRetryable(e: unknown): boolean {
  const { code, constraint } = asPg(e);
  if (code === '40001' || code === '40P01') return true;
  return code === '23505' && constraint === 'idempotency_pkey';
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

const LOST_CONNECTION = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Cannot use a pool after calling end',
  'Client was closed and is not queryable',
  'connection timeout',
];

/** The database cannot be reached or is not accepting work right now: a 503, never a 500. */
export function isUnavailable(e: unknown): boolean {
  const { code, message } = asPg(e);
  if (code) {
    if (NETWORK_CODES.has(code)) return true;
    // 08: connection exception; 57P0x: shutdown / cannot connect now; 53: out of resources (e.g. too many
    // connections, disk full); 57014: statement timeout or cancel; 25006: read-only (a standby).
    if (code.startsWith('08') || code.startsWith('57P') || code.startsWith('53') || code === '57014')
      return true;
    if (code === '25006') return true;
  }
  return typeof message === 'string' && LOST_CONNECTION.some((m) => message.includes(m));
}

/** A client's mistake (AppError) passes through; a lost database becomes 503; anything else is rethrown. */
export function mapError(e: unknown): unknown {
  if (e instanceof AppError) return e;
  if (isUnavailable(e)) return new StoreUnavailableError(e);
  return e;
}
