import type { Session } from '../domain/types.ts';
import type { Store } from '../store/types.ts';
import { cancelPendingPermissions } from './permissions.ts';
import { recordSessionUpdated } from './record.ts';

// CONTRACT section 7: no session stays `processing` forever, and no turn is re-run silently.
// A runner holds a lease on the session it drives and renews it while it works. When the lease has
// expired (or, on a single-instance store, its owner is a previous process of ours), the turn is:
// - not yet handed to the agent (promptSent false): released, so it runs as the same session;
// - handed to the agent: marked `interrupted`, with an event; the user may retry it as a new session.

export const INTERRUPTED_MESSAGE =
  'The server stopped while the agent was answering. What was streamed so far is kept; retry to ask again.';

export interface RecoveryOptions {
  now: number;
  /** This process's runner id: its own leases are alive. */
  instanceId: string;
  /** True when no other instance can hold a live lease (SQLite: one server per database file). */
  othersAreDead: boolean;
}

export interface RecoveryResult {
  interrupted: string[];
  released: string[];
}

function isDead(
  s: Session & { lease: { owner: string; until: number } | null },
  o: RecoveryOptions,
): boolean {
  if (!s.lease) return true;
  if (s.lease.owner === o.instanceId) return false;
  return o.othersAreDead || s.lease.until < o.now;
}

export async function recoverSessions(store: Store, o: RecoveryOptions): Promise<RecoveryResult> {
  const result: RecoveryResult = { interrupted: [], released: [] };
  const candidates = await store.sessionsWithStatus(['processing', 'pending']);
  for (const c of candidates) {
    if (c.status === 'pending' && !c.lease) continue;
    if (!isDead(c, o)) continue;
    await store.transaction(async (tx) => {
      // Re-read inside the transaction: another instance may have renewed or finished it meanwhile.
      const s = await tx.getSession(c.id);
      const lease = await tx.getLease(c.id);
      if (!s || (s.status !== 'processing' && s.status !== 'pending')) return;
      if (lease && (lease.owner !== c.lease?.owner || lease.until !== c.lease?.until)) return;
      await tx.setLease(s.id, null);
      if (!s.promptSent) {
        if (s.status === 'processing')
          await recordSessionUpdated(tx, { ...s, status: 'pending', started_at: null });
        result.released.push(s.id);
        return;
      }
      const interrupted: Session = {
        ...s,
        status: 'interrupted',
        completed_at: tx.now,
        error: INTERRUPTED_MESSAGE,
      };
      await recordSessionUpdated(tx, interrupted, { error: INTERRUPTED_MESSAGE });
      // Nobody can answer the dead agent's questions any more: close them in every tab.
      await cancelPendingPermissions(tx, s.id);
      result.interrupted.push(s.id);
    });
  }
  return result;
}
