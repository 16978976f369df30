import { createHash } from 'node:crypto';
import { errors } from '../domain/errors.ts';
import type { Tx } from '../store/types.ts';

// CONTRACT section 4. The record is written in the same transaction as the effect, so a retry sees
// either nothing (and does the work) or the finished response (and replays it, byte for byte).

export interface IdempotencyRequest {
  /** Route and target, e.g. `messages:conv_123`: the same key elsewhere is another key. */
  scope: string;
  key: string;
  /** Hash of the payload; the key itself is not part of it. */
  fingerprint: string;
  /** Records created before this are expired: treated as absent and replaced. */
  expiredBefore: number;
}

export interface Reply {
  status: number;
  /** Serialized JSON, exactly as first sent. */
  body: string;
  replayed: boolean;
}

/** JSON with sorted keys, so equal payloads hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function fingerprint(payload: unknown): string {
  return createHash('sha256').update(canonicalJson(payload)).digest('hex');
}

export async function idempotent(
  tx: Tx,
  idem: IdempotencyRequest | null,
  effect: () => Promise<{ status: number; body: unknown }>,
): Promise<Reply> {
  if (idem) {
    const prev = await tx.getIdempotency(idem.scope, idem.key);
    if (prev && prev.created_at >= idem.expiredBefore) {
      if (prev.fingerprint !== idem.fingerprint) {
        throw errors.idempotencyKeyReused();
      }
      return { status: prev.status, body: prev.body, replayed: true };
    }
    if (prev) await tx.deleteIdempotency(idem.scope, idem.key);
  }
  const result = await effect();
  const body = JSON.stringify(result.body);
  if (idem) {
    await tx.putIdempotency({
      scope: idem.scope,
      key: idem.key,
      fingerprint: idem.fingerprint,
      status: result.status,
      body,
      created_at: tx.now,
    });
  }
  return { status: result.status, body, replayed: false };
}
