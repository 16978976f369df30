import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { recordSessionUpdated } from '../../../src/commands/record.ts';
import { INTERRUPTED_MESSAGE, recoverSessions } from '../../../src/commands/recovery.ts';
import type { Session } from '../../../src/domain/types.ts';
import type { Store } from '../../../src/store/types.ts';
import type { Harness } from './harness.ts';

// Start-up recovery of the turns a dead process left behind, with one or several instances.

export function recoveryCases(h: Harness): void {
  const { tx, conv, send } = h;
  describe('recovery', () => {
    async function fixture() {
      const c = await conv();
      const mk = async (
        lease: { owner: string; until: number } | null,
        status: Session['status'],
        promptSent: boolean,
      ) => {
        const { session } = await send(c.id);
        const next = {
          ...session,
          status,
          promptSent,
          started_at: status === 'processing' ? Date.now() : null,
        };
        await tx(async (t) => {
          await recordSessionUpdated(t, next);
          await t.setLease(next.id, lease);
        });
        return next;
      };
      const now = Date.now();
      return {
        now,
        sent: await mk({ owner: 'dead', until: now - 1 }, 'processing', true),
        notSent: await mk({ owner: 'dead', until: now - 1 }, 'processing', false),
        claimedPending: await mk({ owner: 'dead', until: now - 1 }, 'pending', false),
        liveOther: await mk({ owner: 'alive', until: now + 60_000 }, 'processing', true),
        mine: await mk({ owner: 'me', until: now - 1 }, 'processing', true),
        queued: await mk(null, 'pending', false),
        orphan: await mk(null, 'processing', true),
      };
    }

    test('othersAreDead false (several instances): only expired leases of others are resolved', async () => {
      const store = await h.open();
      const f = await fixture();
      const seq0 = await store.lastSeq();
      const r = await recoverSessions(store, { now: f.now, instanceId: 'me', othersAreDead: false });
      assert.deepEqual(r.interrupted.sort(), [f.sent.id, f.orphan.id].sort());
      assert.deepEqual(r.released.sort(), [f.notSent.id, f.claimedPending.id].sort());
      const sent = (await store.getSession(f.sent.id))!;
      assert.equal(sent.status, 'interrupted');
      assert.equal(sent.error, INTERRUPTED_MESSAGE);
      assert.ok(sent.completed_at);
      assert.equal((await store.getSession(f.notSent.id))?.status, 'pending');
      assert.equal((await store.getSession(f.notSent.id))?.started_at, null);
      assert.equal((await store.getSession(f.claimedPending.id))?.status, 'pending');
      assert.equal((await store.getSession(f.liveOther.id))?.status, 'processing');
      assert.equal((await store.getSession(f.mine.id))?.status, 'processing');
      assert.equal((await store.getSession(f.queued.id))?.status, 'pending');
      for (const id of [f.sent.id, f.notSent.id, f.claimedPending.id]) {
        assert.equal(await tx((t) => t.getLease(id)), null);
      }
      assert.deepEqual(await tx((t) => t.getLease(f.liveOther.id)), {
        owner: 'alive',
        until: f.now + 60_000,
      });
      const events = await store.readEvents({ after: seq0, limit: 100 });
      const interruptedEvent = events.find((e) => e.sessionId === f.sent.id);
      assert.equal(interruptedEvent?.type, 'session_updated');
      assert.equal(interruptedEvent?.status, 'interrupted');
      assert.equal(interruptedEvent?.error, INTERRUPTED_MESSAGE);
      assert.equal(
        events.filter((e) => e.sessionId === f.claimedPending.id).length,
        0,
        'still pending: no event',
      );
      // Idempotent: nothing left to do.
      const again = await recoverSessions(store, { now: f.now, instanceId: 'me', othersAreDead: false });
      assert.deepEqual(again, { interrupted: [], released: [] });
    });

    test('othersAreDead true (one process per database): every lease but ours is dead', async () => {
      const store = await h.open();
      const f = await fixture();
      const r = await recoverSessions(store, { now: f.now, instanceId: 'me', othersAreDead: true });
      assert.deepEqual(r.interrupted.sort(), [f.sent.id, f.liveOther.id, f.orphan.id].sort());
      assert.deepEqual(r.released.sort(), [f.notSent.id, f.claimedPending.id].sort());
      assert.equal((await store.getSession(f.mine.id))?.status, 'processing');
    });

    test('a lease renewed between the scan and the transaction is respected', async () => {
      const store = await h.open();
      const f = await fixture();
      const renewed = { owner: 'dead', until: f.now + 60_000 };
      // The scan sees the expired lease; the owner renews it before recovery's transaction runs.
      const racing = new Proxy(store, {
        get(target, prop) {
          if (prop === 'sessionsWithStatus') {
            return async (...args: Parameters<Store['sessionsWithStatus']>) => {
              const scanned = await target.sessionsWithStatus(...args);
              await target.transaction((t) => t.setLease(f.sent.id, renewed));
              return scanned;
            };
          }
          const v = Reflect.get(target, prop);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      const r = await recoverSessions(racing, { now: f.now, instanceId: 'me', othersAreDead: false });
      assert.ok(!r.interrupted.includes(f.sent.id));
      assert.equal((await store.getSession(f.sent.id))?.status, 'processing');
      assert.deepEqual(await tx((t) => t.getLease(f.sent.id)), renewed);
    });
  });
}
