import { errors, notFound } from '../domain/errors.ts';
import { FINISHED_STATUSES, type Session } from '../domain/types.ts';
import type { Tx } from '../store/types.ts';
import { cancelPendingPermissions } from './permissions.ts';
import { recordCancelRequested, recordSessionUpdated } from './record.ts';

// POST /api/sessions/{id}/cancel. The request is recorded in the store, not sent to a process: the
// runner holding the session's lease (in this process or another instance) sees the event and
// stops the agent. A session no live runner holds (queued, or its runner died) is cancelled here.

export async function requestCancel(
  tx: Tx,
  sessionId: string,
): Promise<{ session: Session; state: 'cancelled' | 'requested' }> {
  const s = await tx.getSession(sessionId);
  if (!s) throw notFound('Session');
  if (FINISHED_STATUSES.includes(s.status)) {
    throw errors.alreadyFinished(s.status, 'there is nothing to cancel');
  }
  const lease = await tx.getLease(s.id);
  if (lease && lease.until >= tx.now) {
    await recordCancelRequested(tx, s);
    return { session: s, state: 'requested' };
  }
  await cancelPendingPermissions(tx, s.id);
  await tx.setLease(s.id, null);
  const cancelled: Session = { ...s, status: 'cancelled', completed_at: tx.now, stopReason: 'cancelled' };
  await recordSessionUpdated(tx, cancelled);
  return { session: cancelled, state: 'cancelled' };
}
