import type { Claimed } from '../../commands/runner.ts';
import { cancelPendingPermissions } from '../../commands/permissions.ts';
import { isLifecycleType } from '../../domain/events.ts';
import type { Store } from '../../store/types.ts';
import { type KeeperSettings, liveKeepers } from './settings.ts';

// A starting server, before recovery marks anything interrupted (docs/DESIGN.md "Process model"):
// each live keeper of the data dir is noted for its conversation; one whose agent is still answering
// a turn gets that turn's lease, so recovery leaves it `processing` and the runner runs it again,
// attached to the same agent. Counting what the turn already stored tells the replay how many of its
// events to skip: the spool holds the agent's lines since the prompt, and the events a line makes
// do not depend on the server, so the first N events of the replay are the N stored.

const PAGE = 1000;

/** The output events a turn stored after its prompt went to the agent. */
export async function storedOutputAfterPrompt(store: Store, sessionId: string): Promise<number> {
  let after = 0;
  let promptSeen = false;
  let n = 0;
  for (;;) {
    const page = await store.readEvents({ after, sessionId, limit: PAGE });
    for (const e of page) {
      after = e.seq;
      if (!promptSeen) {
        const s = e.session as { promptSent?: boolean } | undefined;
        promptSeen = e.type === 'session_updated' && s?.promptSent === true;
      } else if (!isLifecycleType(e.type)) n++;
    }
    if (page.length < PAGE) return n;
  }
}

export async function reattachKept(
  store: Store,
  s: KeeperSettings,
  o: { owner: string; leaseMs: number; othersAreDead: boolean },
): Promise<Claimed[]> {
  const claimed: Claimed[] = [];
  const keepers = liveKeepers(s.dir);
  if (keepers.length === 0) return claimed;
  const running = await store.sessionsWithStatus(['processing']);
  for (const meta of keepers) {
    const turn = running.find(
      (r) => r.conversationId === meta.conversationId && r.agentId === meta.agentId && r.promptSent,
    );
    if (!turn) {
      // An idle agent: the conversation's next message goes to it (its ACP session is open).
      s.adoptable.set(meta.conversationId, { meta, sessionId: null, skip: 0 });
      continue;
    }
    const c = await store.transaction(async (tx): Promise<Claimed | null> => {
      const session = await tx.getSession(turn.id);
      const lease = await tx.getLease(turn.id);
      if (session?.status !== 'processing') return null;
      // Another live instance holds it (PostgreSQL): the lease decides, as for any turn.
      if (lease && lease.owner !== o.owner && lease.until >= tx.now && !o.othersAreDead) return null;
      const conversation = await tx.getConversation(session.conversationId);
      if (!conversation) return null;
      await tx.setLease(session.id, { owner: o.owner, until: tx.now + o.leaseMs });
      // The agent's unanswered requests are replayed and asked again; the dead server's copies close.
      await cancelPendingPermissions(tx, session.id);
      return { session, conversation, message: await tx.getMessage(session.messageId) };
    });
    if (!c) continue;
    s.adoptable.set(meta.conversationId, {
      meta,
      sessionId: turn.id,
      skip: await storedOutputAfterPrompt(store, turn.id),
    });
    claimed.push(c);
  }
  return claimed;
}
