import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordPermissionRequest, resolvePermission } from '../../../src/commands/permissions.ts';
import { recordSessionUpdated } from '../../../src/commands/record.ts';
import { requestCancel } from '../../../src/commands/runner-cancel.ts';
import {
  appendAgentOutput,
  claimNextSession,
  finishTurn,
  LeaseLost,
  markPromptSent,
  renewLease,
} from '../../../src/commands/runner.ts';
import type { PermissionRequest } from '../../../src/domain/types.ts';
import { type Harness, rejectsWith } from './harness.ts';

// Sessions and permissions: the runner's queue and leases, its commands, permission and cancel commands.

export function sessionsCases(h: Harness): void {
  const { tx, conv, send } = h;
  test('sessions: unfinished, claimable (oldest unfinished of each conversation), leases, sessionsWithStatus', async () => {
    const store = await h.open();
    const c = await conv('C');
    const d = await conv('D');
    const c1 = (await send(c.id, 'c1')).session;
    const d1 = (await send(d.id, 'd1')).session;
    const c2 = (await send(c.id, 'c2')).session;
    const d2 = (await send(d.id, 'd2')).session;

    assert.deepEqual(
      (await tx((t) => t.unfinishedSessions(c.id))).map((s) => s.id),
      [c1.id, c2.id],
    );
    assert.deepEqual(
      (await tx((t) => t.claimableSessions(10))).map((s) => s.id),
      [c1.id, d1.id],
    );
    // Pending ones counted, no further than asked (GMGUI_MAX_PENDING's check).
    assert.equal(await tx((t) => t.countPendingSessions(c.id, 10)), 2);
    assert.equal(await tx((t) => t.countPendingSessions(c.id, 1)), 1);
    assert.equal(await tx((t) => t.countPendingSessions('conv_none', 10)), 0);
    assert.deepEqual(
      (await tx((t) => t.claimableSessions(1))).map((s) => s.id),
      [c1.id],
    );

    // c1 starts running: nothing more of c is claimable until it ends.
    const until = Date.now() + 60_000;
    const running = await tx(async (t) => {
      await t.setLease(c1.id, { owner: 'runner-a', until });
      const next = { ...c1, status: 'processing' as const, started_at: t.now };
      await recordSessionUpdated(t, next);
      return next;
    });
    assert.deepEqual(await tx((t) => t.getLease(c1.id)), { owner: 'runner-a', until });
    assert.equal(await tx((t) => t.getLease(c2.id)), null);
    assert.equal(await tx((t) => t.getLease('sess_missing')), null);
    assert.deepEqual(
      (await tx((t) => t.claimableSessions(10))).map((s) => s.id),
      [d1.id],
    );
    const withStatus = await store.sessionsWithStatus(['processing', 'pending']);
    assert.deepEqual(
      withStatus.map((s) => [s.id, s.status, s.lease]),
      [
        [c1.id, 'processing', { owner: 'runner-a', until }],
        [d1.id, 'pending', null],
        [c2.id, 'pending', null],
        [d2.id, 'pending', null],
      ],
    );
    assert.deepEqual(
      (await store.sessionsWithStatus(['processing'])).map((s) => s.id),
      [c1.id],
    );

    await tx(async (t) => {
      await t.setLease(c1.id, null);
      await recordSessionUpdated(t, { ...running, status: 'completed', completed_at: t.now });
    });
    assert.equal(await tx((t) => t.getLease(c1.id)), null);
    assert.deepEqual(
      (await tx((t) => t.unfinishedSessions(c.id))).map((s) => s.id),
      [c2.id],
    );
    assert.deepEqual(
      (await tx((t) => t.claimableSessions(10))).map((s) => s.id),
      [d1.id, c2.id],
    );
  });

  test('permissions: insert, update, pending by session (Tx) and by conversation (Store)', async () => {
    const store = await h.open();
    const c = await conv();
    const { session } = await send(c.id);
    const base = {
      sessionId: session.id,
      conversationId: c.id,
      toolCall: { title: 'Run' },
      options: [{ optionId: 'ok', name: 'OK', kind: 'allow_once' }],
      status: 'pending' as const,
      optionId: null,
      resolved_at: null,
    };
    const p1: PermissionRequest = { ...base, requestId: 'r1', created_at: 1000 };
    const p2: PermissionRequest = { ...base, requestId: 'r2', created_at: 1000 };
    const p3: PermissionRequest = { ...base, requestId: 'r3', created_at: 2000 };
    await tx(async (t) => {
      await t.insertPermission(p1);
      await t.insertPermission(p2);
      await t.insertPermission(p3);
    });
    assert.deepEqual(await store.pendingPermissions(c.id), [p1, p2, p3]);
    const r2: PermissionRequest = { ...p2, status: 'resolved', optionId: 'ok', resolved_at: 3000 };
    await tx((t) => t.updatePermission(r2));
    assert.deepEqual(await store.getPermission(session.id, 'r2'), r2);
    assert.deepEqual(await tx((t) => t.pendingPermissions(session.id)), [p1, p3]);
    assert.deepEqual(await store.pendingPermissions(c.id), [p1, p3]);
    assert.deepEqual(await tx((t) => t.pendingPermissions('sess_other')), []);
  });

  test('runner commands: claim under a lease, output, renew, finish; a lost lease stops writes', async () => {
    const store = await h.open();
    const c = await conv();
    const first = (await send(c.id, 'one')).session;
    const second = (await send(c.id, 'two')).session;
    const o = { owner: 'runner-1', leaseMs: 60_000, skipConversations: new Set<string>() };
    const claimed = await tx((t) => claimNextSession(t, o));
    assert.equal(claimed?.session.id, first.id);
    assert.equal(claimed?.session.status, 'processing');
    assert.equal(claimed?.conversation.id, c.id);
    assert.equal(claimed?.message?.content, 'one');
    assert.equal(
      await tx((t) => claimNextSession(t, { ...o, owner: 'runner-2' })),
      null,
      'one turn at a time',
    );
    await tx((t) => markPromptSent(t, { sessionId: first.id, owner: 'runner-1' }));
    assert.equal((await store.getSession(first.id))?.promptSent, true);
    await tx((t) =>
      appendAgentOutput(t, {
        sessionId: first.id,
        owner: 'runner-1',
        events: [
          { type: 'text_delta', text: 'Hel' },
          { type: 'text_delta', text: 'lo' },
        ],
      }),
    );
    await tx((t) => renewLease(t, { sessionId: first.id, owner: 'runner-1', leaseMs: 120_000 }));
    await assert.rejects(
      tx((t) =>
        appendAgentOutput(t, {
          sessionId: first.id,
          owner: 'intruder',
          events: [{ type: 'text_delta', text: 'x' }],
        }),
      ),
      LeaseLost,
    );
    const done = await tx((t) =>
      finishTurn(t, {
        sessionId: first.id,
        owner: 'runner-1',
        events: [{ type: 'text_delta', text: '!' }],
        outcome: { kind: 'completed', stopReason: 'end_turn', text: 'Hello!', blocks: [] },
      }),
    );
    assert.equal(done.status, 'completed');
    assert.equal(await tx((t) => t.getLease(first.id)), null);
    const texts = (await store.readEvents({ after: 0, sessionId: first.id, limit: 100 }))
      .filter((e) => e.type === 'text_delta')
      .map((e) => e.text)
      .join('');
    assert.equal(texts, 'Hello!');
    const answer = await store.getMessage(done.response!.messageId);
    assert.deepEqual(answer?.content, { text: 'Hello!', blocks: [] });
    // The next turn of the conversation may start now.
    assert.equal((await tx((t) => claimNextSession(t, { ...o, owner: 'runner-2' })))?.session.id, second.id);
  });

  test('permission and cancel commands: answered once, unknown options refused, cancel queued or running', async () => {
    const store = await h.open();
    const c = await conv();
    const running = (await send(c.id, 'one')).session;
    const queued = (await send(c.id, 'two')).session;
    await tx((t) => claimNextSession(t, { owner: 'r', leaseMs: 60_000, skipConversations: new Set() }));
    const ask = {
      requestId: 'perm-1',
      sessionId: running.id,
      conversationId: c.id,
      toolCall: { title: 'Write file', kind: 'edit' },
      options: [
        { optionId: 'yes', name: 'Allow', kind: 'allow_once' },
        { optionId: 'always', name: 'Always', kind: 'allow_always' },
      ],
    };
    assert.deepEqual(await tx((t) => recordPermissionRequest(t, ask)), { autoOptionId: null });
    assert.equal((await store.pendingPermissions(c.id)).length, 1);
    await rejectsWith(
      tx((t) => resolvePermission(t, { sessionId: running.id, requestId: 'perm-1', optionId: 'nope' })),
      400,
    );
    const resolved = await tx((t) =>
      resolvePermission(t, { sessionId: running.id, requestId: 'perm-1', optionId: 'always' }),
    );
    assert.equal(resolved.optionId, 'always');
    await rejectsWith(
      tx((t) => resolvePermission(t, { sessionId: running.id, requestId: 'perm-1', optionId: 'yes' })),
      409,
    );
    // "Allow always" is remembered: the next request of that kind is answered by itself.
    assert.deepEqual((await store.getConversation(c.id))?.settings.allowAlways, ['kind:edit']);
    assert.deepEqual(await tx((t) => recordPermissionRequest(t, { ...ask, requestId: 'perm-2' })), {
      autoOptionId: 'always',
    });
    assert.deepEqual(await store.pendingPermissions(c.id), []);

    // A running turn (live lease): the cancel is a request for its runner; a queued one is cancelled here.
    assert.equal((await tx((t) => requestCancel(t, running.id))).state, 'requested');
    const cancelled = await tx((t) => requestCancel(t, queued.id));
    assert.equal(cancelled.state, 'cancelled');
    assert.equal((await store.getSession(queued.id))?.status, 'cancelled');
    await rejectsWith(
      tx((t) => requestCancel(t, queued.id)),
      409,
    );
  });
}
