import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createConversation,
  deleteConversation,
  updateConversation,
} from '../../src/commands/conversations.ts';
import { fingerprint, type IdempotencyRequest, idempotent } from '../../src/commands/idempotency.ts';
import { retrySession, sendMessage } from '../../src/commands/messages.ts';
import { recordPermissionRequest, resolvePermission } from '../../src/commands/permissions.ts';
import { recordSessionUpdated } from '../../src/commands/record.ts';
import { INTERRUPTED_MESSAGE, recoverSessions } from '../../src/commands/recovery.ts';
import { requestCancel } from '../../src/commands/runner-cancel.ts';
import {
  appendAgentOutput,
  claimNextSession,
  finishTurn,
  LeaseLost,
  markPromptSent,
  renewLease,
} from '../../src/commands/runner.ts';
import { AppError, StoreUnavailableError } from '../../src/domain/errors.ts';
import type {
  Conversation,
  Message,
  PermissionRequest,
  Session,
  StoredEvent,
} from '../../src/domain/types.ts';
import type { Store, Tx } from '../../src/store/types.ts';
import type { StoreBackend } from './backends.ts';

// THE store test suite: every Store and Tx method and the commands of src/commands, run unchanged against
// each backend (test/store/*.test.ts). Both stores must behave the same; where PostgreSQL adds
// concurrency of its own (several instances), the extra cases are here too, since SQLite must pass them
// as well (it serializes writers, so they hold trivially there).

async function rejectsWith(p: Promise<unknown>, status: number, code?: string): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AppError, `expected an AppError, got ${String(e)}`);
    assert.equal(e.status, status, e.message);
    if (code) assert.equal(e.code, code);
    return e;
  }
  assert.fail(`expected a ${status}`);
}

export function storeSuite(backend: StoreBackend, skip: string | false): void {
  describe(`store suite: ${backend.name}`, { skip }, () => {
    let store: Store;
    const tx = <T>(fn: (t: Tx) => Promise<T>) => store.transaction(fn);
    const conv = (title = 'A conversation', cwd = '/work/a') =>
      tx((t) => createConversation(t, { agentId: 'demo', title, cwd }));
    const send = (cid: string, content = 'hello') => tx((t) => sendMessage(t, cid, { content }));
    const setStatus = (s: Session, patch: Partial<Session>) =>
      tx(async (t) => {
        const next = { ...s, ...patch };
        await recordSessionUpdated(t, next);
        return next;
      });

    /** Every test starts on an empty store (afterEach closes it). */
    async function open(): Promise<void> {
      store = await backend.fresh();
    }

    afterEach(async () => {
      await store?.close();
    });
    after(async () => {
      await backend.teardown();
    });

    test('an empty store', async () => {
      await open();
      assert.equal(store.kind, backend.name);
      assert.deepEqual(await store.listConversations(), []);
      assert.equal(await store.getConversation('conv_x'), null);
      assert.deepEqual(await store.listMessages('conv_x'), []);
      assert.equal(await store.getMessage('msg_x'), null);
      assert.equal(await store.getSession('sess_x'), null);
      assert.equal(await store.latestSession('conv_x'), null);
      assert.deepEqual(await store.listSessions('conv_x'), []);
      assert.deepEqual(await store.sessionsWithStatus(['pending', 'processing']), []);
      assert.deepEqual(await store.sessionsWithStatus([]), []);
      assert.equal(await store.getPermission('sess_x', 'r'), null);
      assert.deepEqual(await store.pendingPermissions('conv_x'), []);
      assert.deepEqual(await store.readEvents({ after: 0, limit: 100 }), []);
      assert.equal(await store.lastSeq(), 0);
      assert.equal(await store.lastSeq('conv_x'), 0);
      assert.equal(await store.purgeIdempotency(Date.now()), 0);
      assert.deepEqual(await store.dumpTables(), { conversations: [], messages: [], sessions: [] });
    });

    test('createConversation: the row and its event, in one transaction', async () => {
      await open();
      const c = await conv('First', '/work/first');
      assert.equal(c.version, 1);
      assert.equal(c.status, 'active');
      assert.deepEqual(await store.getConversation(c.id), c);
      assert.deepEqual(await tx((t) => t.getConversation(c.id)), c);
      assert.deepEqual(await store.listConversations(), [c]);
      const events = await store.readEvents({ after: 0, limit: 10 });
      assert.equal(events.length, 1);
      const [e] = events;
      assert.equal(e.type, 'conversation_created');
      assert.equal(e.conversationId, c.id);
      assert.equal(e.sessionId, null);
      assert.equal(e.created_at, c.created_at);
      assert.deepEqual(e.conversation, c);
      assert.equal(await store.lastSeq(), e.seq);
      assert.equal(await store.lastSeq(c.id), e.seq);
    });

    test('values come back exactly as written (JSON fields, nulls, large timestamps)', async () => {
      await open();
      const now = 1_900_000_000_123; // beyond 32 bits, as epoch milliseconds are
      const c: Conversation = {
        id: 'conv_exact',
        agentId: 'demo',
        title: 'Ünïcode ✓ "quotes" \\ back',
        cwd: '/work/ü',
        status: 'archived',
        version: 7,
        settings: { autoApprove: true, allowAlways: ['kind:edit', 'title:x'] },
        acpSessionId: 'acp-1',
        created_at: now,
        updated_at: now + 1,
      };
      const user: Message = {
        id: 'msg_u',
        conversationId: c.id,
        role: 'user',
        content: 'plain',
        sessionId: 'sess_1',
        folderContext: { path: '/work/ü/sub' },
        created_at: now,
      };
      const assistant: Message = {
        id: 'msg_a',
        conversationId: c.id,
        role: 'assistant',
        content: {
          text: 'answer',
          blocks: [{ type: 'text', text: 'answer', nested: { z: 1, a: [null, true] } }],
        },
        sessionId: 'sess_1',
        created_at: now + 5,
      };
      const s: Session = {
        id: 'sess_1',
        conversationId: c.id,
        messageId: user.id,
        agentId: 'demo',
        status: 'completed',
        created_at: now,
        started_at: now + 1,
        completed_at: now + 9,
        response: { text: 'answer', messageId: assistant.id },
        error: null,
        stopReason: 'end_turn',
        retryOf: 'sess_0',
        promptSent: true,
      };
      const p: PermissionRequest = {
        requestId: 'req-1',
        sessionId: s.id,
        conversationId: c.id,
        toolCall: { toolCallId: 't1', title: 'Edit', kind: 'edit', locations: [{ path: '/x' }] },
        options: [
          { optionId: 'allow', name: 'Allow', kind: 'allow_once' },
          { optionId: 'deny', name: 'Deny', kind: 'reject_once' },
        ],
        status: 'pending',
        optionId: null,
        created_at: now,
        resolved_at: null,
      };
      await tx(async (t) => {
        await t.insertConversation(c);
        await t.insertMessage(user);
        await t.insertMessage(assistant);
        await t.insertSession(s);
        await t.insertPermission(p);
      });
      assert.deepEqual(await store.getConversation(c.id), c);
      assert.deepEqual(await store.getMessage(user.id), user);
      assert.deepEqual(await store.getMessage(assistant.id), assistant);
      assert.deepEqual(await store.listMessages(c.id), [user, assistant]);
      assert.deepEqual(await store.getSession(s.id), s);
      assert.deepEqual(await store.getPermission(s.id, p.requestId), p);
      assert.deepEqual(await store.pendingPermissions(c.id), [p]);
      await tx(async (t) => {
        assert.deepEqual(await t.getConversation(c.id), c);
        assert.deepEqual(await t.getMessage(assistant.id), assistant);
        assert.deepEqual(await t.getSession(s.id), s);
        assert.deepEqual(await t.getPermission(s.id, p.requestId), p);
        assert.deepEqual(await t.pendingPermissions(s.id), [p]);
        assert.equal(await t.getMessage('msg_none'), null);
        assert.equal(await t.getSession('sess_none'), null);
        assert.equal(await t.getConversation('conv_none'), null);
        assert.equal(await t.getPermission(s.id, 'none'), null);
      });
      // Events carry their fields exactly, whatever their shape.
      const fields = {
        a: 'x',
        n: 1.5,
        nested: { list: [1, 'two', null, { deep: true }] },
        empty: {},
        // Quotes, backslashes, dollar signs, a NUL, emoji: stored and read back as they are.
        tricky: "it's \\ a back'slash\\' $1 $$ E'x' \u0000 \n ünï 🎉 \"q\"",
      };
      await tx((t) => t.append({ type: 'tool_call', conversationId: c.id, sessionId: s.id, ...fields }));
      await tx((t) => t.append({ type: "it's \\ odd", conversationId: "conv_'\\", sessionId: null }));
      const [e, odd] = await store.readEvents({ after: 0, limit: 10 });
      assert.equal(odd.type, "it's \\ odd");
      assert.equal(odd.conversationId, "conv_'\\");
      assert.deepEqual(e, {
        seq: e.seq,
        type: 'tool_call',
        conversationId: c.id,
        sessionId: s.id,
        created_at: e.created_at,
        ...fields,
      });
      assert.deepEqual(await store.dumpTables(), {
        conversations: [c],
        messages: [user, assistant],
        sessions: [s],
      });
    });

    test('updateConversation: If-Match, version, no-op patches, 404', async () => {
      await open();
      const c = await conv();
      const seq0 = await store.lastSeq();
      const u1 = await tx((t) => updateConversation(t, c.id, { title: 'Renamed' }, 1));
      assert.equal(u1.version, 2);
      assert.equal(u1.title, 'Renamed');
      assert.deepEqual(await store.getConversation(c.id), u1);
      const [e] = await store.readEvents({ after: seq0, limit: 10 });
      assert.equal(e.type, 'conversation_updated');
      assert.deepEqual(e.conversation, u1);

      const stale = await rejectsWith(
        tx((t) => updateConversation(t, c.id, { title: 'Lost update' }, 1)),
        412,
        'version_mismatch',
      );
      assert.match(stale.message, /version 2/);
      assert.deepEqual(await store.getConversation(c.id), u1, 'a 412 changes nothing');
      assert.equal(await store.lastSeq(), e.seq, 'a 412 appends nothing');

      const same = await tx((t) => updateConversation(t, c.id, { title: 'Renamed' }, null));
      assert.equal(same.version, 2, 'no change, no new version');
      assert.equal(await store.lastSeq(), e.seq);

      const u3 = await tx((t) =>
        updateConversation(t, c.id, { status: 'archived', settings: { autoApprove: true } }, null),
      );
      assert.equal(u3.version, 3);
      assert.equal(u3.status, 'archived');
      assert.equal(u3.settings.autoApprove, true);
      await rejectsWith(
        tx((t) => updateConversation(t, 'conv_missing', { title: 'x' }, null)),
        404,
        'not_found',
      );
    });

    test('concurrent updates with the same If-Match: exactly one wins, the others get 412', async () => {
      await open();
      const c = await conv();
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => tx((t) => updateConversation(t, c.id, { title: `T${i}` }, 1))),
      );
      const ok = results.filter((r) => r.status === 'fulfilled');
      assert.equal(ok.length, 1);
      for (const r of results) {
        if (r.status === 'rejected') assert.equal((r.reason as AppError).status, 412);
      }
      assert.equal((await store.getConversation(c.id))?.version, 2);
    });

    test('deleteConversation: rows go, events stay, a conversation_deleted event is added', async () => {
      await open();
      const c = await conv();
      const other = await conv('Other');
      const { message, session } = await send(c.id);
      await send(other.id);
      await tx((t) =>
        t.insertPermission({
          requestId: 'r1',
          sessionId: session.id,
          conversationId: c.id,
          toolCall: null,
          options: [{ optionId: 'a', name: 'A', kind: 'allow_once' }],
          status: 'pending',
          optionId: null,
          created_at: t.now,
          resolved_at: null,
        }),
      );
      const before = await store.readEvents({ after: 0, conversationId: c.id, limit: 100 });
      await tx((t) => deleteConversation(t, c.id));
      assert.equal(await store.getConversation(c.id), null);
      assert.equal(await store.getMessage(message.id), null);
      assert.equal(await store.getSession(session.id), null);
      assert.equal(await store.getPermission(session.id, 'r1'), null);
      assert.deepEqual(await store.listMessages(c.id), []);
      assert.deepEqual(await store.listSessions(c.id), []);
      assert.deepEqual(
        (await store.listConversations()).map((x) => x.id),
        [other.id],
      );
      const afterDel = await store.readEvents({ after: 0, conversationId: c.id, limit: 100 });
      assert.deepEqual(afterDel.slice(0, before.length), before);
      assert.equal(afterDel.at(-1)?.type, 'conversation_deleted');
      assert.equal((await store.listMessages(other.id)).length, 1, 'other conversations untouched');
      await rejectsWith(
        tx((t) => deleteConversation(t, c.id)),
        404,
      );
    });

    test('sendMessage: message, pending session and their events; updated_at moves; unknown conversation stores nothing', async () => {
      await open();
      const c = await conv();
      await sleep(2);
      const seq0 = await store.lastSeq();
      const { message, session } = await tx((t) =>
        sendMessage(t, c.id, { content: 'do it', folderContext: { path: '/work/a/sub' } }),
      );
      assert.equal(message.role, 'user');
      assert.equal(message.sessionId, session.id);
      assert.deepEqual(message.folderContext, { path: '/work/a/sub' });
      assert.equal(session.status, 'pending');
      assert.equal(session.messageId, message.id);
      assert.equal(session.promptSent, false);
      assert.deepEqual(await store.getMessage(message.id), message);
      assert.deepEqual(await store.getSession(session.id), session);
      assert.deepEqual(await store.latestSession(c.id), session);
      const events = await store.readEvents({ after: seq0, limit: 10 });
      assert.deepEqual(
        events.map((e) => [e.type, e.sessionId]),
        [
          ['message_created', session.id],
          ['session_created', session.id],
        ],
      );
      assert.deepEqual(events[0].message, message);
      assert.deepEqual(events[1].session, session);
      const after = await store.getConversation(c.id);
      assert.equal(after?.updated_at, message.created_at);
      assert.ok(message.created_at > c.updated_at);
      assert.equal(after?.version, 1, 'activity is not a change of the conversation’s own fields');

      const last = await store.lastSeq();
      await rejectsWith(
        tx((t) => sendMessage(t, 'conv_missing', { content: 'x' })),
        404,
      );
      assert.equal(await store.lastSeq(), last);
      assert.equal((await store.dumpTables()).messages.length, 1);
    });

    test('messages and sessions keep their order; listSessions newest first, by status', async () => {
      await open();
      const c = await conv();
      const sent: Array<{ message: Message; session: Session }> = [];
      for (let i = 0; i < 5; i++) sent.push(await send(c.id, `m${i}`));
      assert.deepEqual(
        (await store.listMessages(c.id)).map((m) => m.content),
        ['m0', 'm1', 'm2', 'm3', 'm4'],
      );
      await setStatus(sent[1].session, { status: 'error', error: 'boom', completed_at: Date.now() });
      const all = await store.listSessions(c.id);
      assert.deepEqual(
        all.map((s) => s.id),
        sent.map((x) => x.session.id).reverse(),
      );
      assert.deepEqual(
        (await store.listSessions(c.id, 'error')).map((s) => s.id),
        [sent[1].session.id],
      );
      assert.deepEqual(
        (await store.listSessions(c.id, 'pending')).map((s) => s.id),
        [4, 3, 2, 0].map((i) => sent[i].session.id),
      );
      assert.equal((await store.latestSession(c.id))?.id, sent[4].session.id);
    });

    test('listConversations: newest updated_at first; search by title or message text, case-insensitive, literal % and _', async () => {
      await open();
      const a = await conv('Alpha plans');
      await sleep(2);
      const b = await conv('Beta');
      await sleep(2);
      const d = await conv('100% done_ok');
      assert.deepEqual(
        (await store.listConversations()).map((c) => c.id),
        [d.id, b.id, a.id],
      );
      await sleep(2);
      await send(a.id, 'Find the NEEDLE here');
      assert.deepEqual(
        (await store.listConversations()).map((c) => c.id),
        [a.id, d.id, b.id],
      );
      assert.deepEqual(
        (await store.listConversations({ q: 'needle' })).map((c) => c.id),
        [a.id],
      );
      assert.deepEqual(
        (await store.listConversations({ q: 'BETA' })).map((c) => c.id),
        [b.id],
      );
      assert.deepEqual(
        (await store.listConversations({ q: '100%' })).map((c) => c.id),
        [d.id],
      );
      assert.deepEqual(
        (await store.listConversations({ q: 'e_o' })).map((c) => c.id),
        [d.id],
      );
      assert.deepEqual(await store.listConversations({ q: '%%' }), []);
      assert.equal((await store.listConversations({ q: '   ' })).length, 3);
    });

    test('retrySession: only after error, cancelled or interrupted; a new visible session', async () => {
      await open();
      const c = await conv();
      const { session } = await send(c.id);
      await rejectsWith(
        tx((t) => retrySession(t, session.id)),
        409,
        'not_retryable',
      );
      await rejectsWith(
        tx((t) => retrySession(t, 'sess_missing')),
        404,
      );
      for (const status of ['error', 'cancelled', 'interrupted'] as const) {
        const cur = (await store.getSession(session.id))!;
        await setStatus(cur, { status, completed_at: Date.now() });
        const seq0 = await store.lastSeq();
        const retry = await tx((t) => retrySession(t, session.id));
        assert.notEqual(retry.id, session.id);
        assert.equal(retry.retryOf, session.id);
        assert.equal(retry.messageId, session.messageId);
        assert.equal(retry.status, 'pending');
        assert.deepEqual(await store.getSession(retry.id), retry);
        const [e] = await store.readEvents({ after: seq0, limit: 10 });
        assert.equal(e.type, 'session_created');
        assert.deepEqual(e.session, retry);
        await setStatus(retry, { status: 'completed', completed_at: Date.now() });
      }
      const done = (await store.latestSession(c.id))!;
      await rejectsWith(
        tx((t) => retrySession(t, done.id)),
        409,
      );
    });

    describe('idempotency', () => {
      const idem = (
        key: string,
        payload: unknown,
        expiredBefore = Date.now() - 60_000,
      ): IdempotencyRequest => ({
        scope: 'messages:c',
        key,
        fingerprint: fingerprint(payload),
        expiredBefore,
      });
      const sendIdem = (cid: string, key: string, content: string, expiredBefore?: number) =>
        tx((t) =>
          idempotent(t, idem(key, { content }, expiredBefore), async () => {
            const r = await sendMessage(t, cid, { content });
            return { status: 201, body: { ...r, idempotencyKey: key } };
          }),
        );

      test('Tx records: get, put, delete; a second put of the same key fails', async () => {
        await open();
        const rec = {
          scope: 's',
          key: 'k',
          fingerprint: 'f',
          status: 201,
          body: '{"a":1}',
          created_at: 1_800_000_000_000,
        };
        await tx((t) => t.putIdempotency(rec));
        assert.deepEqual(await tx((t) => t.getIdempotency('s', 'k')), rec);
        assert.equal(await tx((t) => t.getIdempotency('s', 'other')), null);
        assert.equal(await tx((t) => t.getIdempotency('other', 'k')), null);
        await assert.rejects(tx((t) => t.putIdempotency({ ...rec, fingerprint: 'g' })));
        assert.deepEqual(await tx((t) => t.getIdempotency('s', 'k')), rec, 'never an upsert');
        await tx((t) => t.deleteIdempotency('s', 'k'));
        assert.equal(await tx((t) => t.getIdempotency('s', 'k')), null);
      });

      test('same key, same payload: the first response replayed byte for byte, one effect', async () => {
        await open();
        const c = await conv();
        const first = await sendIdem(c.id, 'key-1', 'hi');
        assert.equal(first.replayed, false);
        assert.equal(first.status, 201);
        const seq = await store.lastSeq();
        const again = await sendIdem(c.id, 'key-1', 'hi');
        assert.equal(again.replayed, true);
        assert.equal(again.status, 201);
        assert.equal(again.body, first.body);
        assert.equal(await store.lastSeq(), seq, 'a replay appends nothing');
        assert.equal((await store.listMessages(c.id)).length, 1);
        // Key order in the payload does not matter; the key is scoped.
        const other = await tx((t) =>
          idempotent(t, { ...idem('key-1', { content: 'hi' }), scope: 'messages:other' }, async () => ({
            status: 201,
            body: { fresh: true },
          })),
        );
        assert.equal(other.replayed, false);
      });

      test('same key, different payload: 422 and nothing changed', async () => {
        await open();
        const c = await conv();
        await sendIdem(c.id, 'key-2', 'hi');
        const seq = await store.lastSeq();
        await rejectsWith(sendIdem(c.id, 'key-2', 'something else'), 422, 'idempotency_key_reused');
        assert.equal(await store.lastSeq(), seq);
        assert.equal((await store.listMessages(c.id)).length, 1);
      });

      test('an expired key is treated as new; purgeIdempotency removes old records', async () => {
        await open();
        const c = await conv();
        const first = await sendIdem(c.id, 'key-3', 'hi');
        await sleep(5);
        // Everything created before "now" counts as expired.
        const second = await sendIdem(c.id, 'key-3', 'hi', Date.now());
        assert.equal(second.replayed, false);
        assert.notEqual(second.body, first.body);
        assert.equal((await store.listMessages(c.id)).length, 2);
        // The record was replaced by the new one, which replays from now on.
        const third = await sendIdem(c.id, 'key-3', 'hi');
        assert.equal(third.body, second.body);
        await sendIdem(c.id, 'key-4', 'x');
        assert.equal(await store.purgeIdempotency(0), 0);
        assert.equal(await store.purgeIdempotency(Date.now() + 1), 2);
        assert.equal(await tx((t) => t.getIdempotency('messages:c', 'key-3')), null);
      });

      test('the same key sent concurrently: one effect, every caller gets the same response', async () => {
        await open();
        const c = await conv();
        const replies = await Promise.all(
          Array.from({ length: 8 }, () => sendIdem(c.id, 'key-race', 'once')),
        );
        assert.equal(new Set(replies.map((r) => r.body)).size, 1);
        assert.equal(replies.filter((r) => !r.replayed).length, 1);
        assert.equal((await store.listMessages(c.id)).length, 1);
        assert.equal((await store.listSessions(c.id)).length, 1);
        const events = await store.readEvents({ after: 0, conversationId: c.id, limit: 100 });
        assert.equal(events.filter((e) => e.type === 'message_created').length, 1);
      });
    });

    test('a failing transaction leaves nothing behind and wakes nobody; AppErrors pass through unchanged', async () => {
      await open();
      const c = await conv();
      const seq = await store.lastSeq();
      const woken: number[] = [];
      const off = store.onAppend((s) => woken.push(s));
      const boom = new AppError(409, 'custom', 'nope');
      await assert.rejects(
        tx(async (t) => {
          await sendMessage(t, c.id, { content: 'never' });
          await t.putIdempotency({
            scope: 's',
            key: 'k',
            fingerprint: 'f',
            status: 1,
            body: '',
            created_at: t.now,
          });
          throw boom;
        }),
        (e) => e === boom,
      );
      await assert.rejects(
        tx(async (t) => {
          await t.append({ type: 'status', conversationId: c.id });
          throw new TypeError('a bug');
        }),
        TypeError,
      );
      assert.equal(await store.lastSeq(), seq);
      assert.deepEqual(await store.listMessages(c.id), []);
      assert.equal(await tx((t) => t.getIdempotency('s', 'k')), null);
      // The next append gets the next number: a rolled-back transaction left no trace in the log.
      await tx((t) => t.append({ type: 'status', conversationId: c.id }));
      const [e] = await store.readEvents({ after: seq, limit: 10 });
      assert.equal(e.type, 'status');
      assert.ok(e.seq > seq);
      await sleep(50);
      assert.deepEqual(woken, [e.seq]);
      off();
    });

    test('transaction returns the value of fn only after commit; Tx.now is one clock reading', async () => {
      await open();
      const c = await conv();
      const { session } = await tx(async (t) => {
        const r = await sendMessage(t, c.id, { content: 'x' });
        assert.equal(r.message.created_at, t.now);
        assert.equal(r.session.created_at, t.now);
        return r;
      });
      // Visible to a plain read on resolve: the commit came first.
      assert.ok(await store.getSession(session.id));
      for (const e of await store.readEvents({ after: 0, conversationId: c.id, limit: 10 })) {
        if (e.type !== 'conversation_created') assert.equal(e.created_at, session.created_at);
      }
    });

    test('seq: unique, strictly growing in commit order, across concurrent transactions', async () => {
      await open();
      const c = await conv();
      const d = await conv('D');
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          tx(async (t) => {
            await t.append({
              type: 'text_delta',
              conversationId: i % 2 ? c.id : d.id,
              sessionId: null,
              text: `${i}a`,
            });
            if (i % 3 === 0) await sleep(1);
            await t.append({
              type: 'text_delta',
              conversationId: i % 2 ? c.id : d.id,
              sessionId: null,
              text: `${i}b`,
            });
          }),
        ),
      );
      const all = await store.readEvents({ after: 0, limit: 1000 });
      assert.equal(all.length, 62);
      for (let i = 1; i < all.length; i++) assert.ok(all[i].seq > all[i - 1].seq);
      // A transaction's events are adjacent and in append order.
      const texts = all.filter((e) => e.type === 'text_delta').map((e) => e.text as string);
      for (let i = 0; i < texts.length; i += 2) {
        assert.equal(texts[i].replace('a', ''), texts[i + 1].replace('b', ''));
      }
      assert.equal(await store.lastSeq(), all.at(-1)?.seq);
    });

    test('readEvents: after, limit and paging, conversation, session and lifecycle filters', async () => {
      await open();
      const c = await conv('C');
      const d = await conv('D');
      const { session } = await send(c.id);
      await tx(async (t) => {
        await t.append({ type: 'text_delta', conversationId: c.id, sessionId: session.id, text: 'a' });
        await t.append({ type: 'thought_delta', conversationId: c.id, sessionId: session.id, text: 'b' });
        await t.append({ type: 'commands', conversationId: c.id, sessionId: null, list: [] });
      });
      await send(d.id);
      await setStatus(session, { status: 'completed', completed_at: Date.now() });

      const all = await store.readEvents({ after: 0, limit: 1000 });
      assert.equal(all.length, 10);
      const seqs = all.map((e) => e.seq);
      const pick = (f: (e: StoredEvent) => boolean) => all.filter(f).map((e) => e.seq);

      assert.deepEqual(
        (await store.readEvents({ after: seqs[3], limit: 1000 })).map((e) => e.seq),
        seqs.slice(4),
      );
      assert.deepEqual(
        (await store.readEvents({ after: 0, limit: 3 })).map((e) => e.seq),
        seqs.slice(0, 3),
      );
      // Paging by the last seq of each page reads everything exactly once.
      const paged: number[] = [];
      for (let cursor = 0; ; ) {
        const page = await store.readEvents({ after: cursor, limit: 4 });
        if (page.length === 0) break;
        paged.push(...page.map((e) => e.seq));
        cursor = page.at(-1)!.seq;
      }
      assert.deepEqual(paged, seqs);

      assert.deepEqual(
        (await store.readEvents({ after: 0, conversationId: c.id, limit: 100 })).map((e) => e.seq),
        pick((e) => e.conversationId === c.id),
      );
      assert.deepEqual(
        (await store.readEvents({ after: 0, sessionId: session.id, limit: 100 })).map((e) => e.seq),
        pick((e) => e.sessionId === session.id),
      );
      const lifecycle = new Set([
        'conversation_created',
        'message_created',
        'session_created',
        'session_updated',
      ]);
      assert.deepEqual(
        (await store.readEvents({ after: 0, lifecycleOnly: true, limit: 100 })).map((e) => e.seq),
        pick((e) => lifecycle.has(e.type)),
      );
      assert.deepEqual(
        (await store.readEvents({ after: 0, lifecycleOnly: true, conversationId: c.id, limit: 100 })).map(
          (e) => e.seq,
        ),
        pick((e) => lifecycle.has(e.type) && e.conversationId === c.id),
      );
      assert.deepEqual(
        (await store.readEvents({ after: 0, lifecycleOnly: true, conversationId: c.id, limit: 2 })).map(
          (e) => e.seq,
        ),
        pick((e) => lifecycle.has(e.type) && e.conversationId === c.id).slice(0, 2),
      );
      assert.deepEqual(await store.readEvents({ after: seqs.at(-1)!, limit: 10 }), []);
      assert.equal((await store.readEvents({ after: 0, limit: 0 })).length, 1, 'limit is at least 1');
      assert.equal(await store.lastSeq(c.id), pick((e) => e.conversationId === c.id).at(-1));
      assert.equal(await store.lastSeq(d.id), pick((e) => e.conversationId === d.id).at(-1));
      assert.equal(await store.lastSeq(), seqs.at(-1));
    });

    test('onAppend: after each commit that appended, with the newest seq; unsubscribe works', async () => {
      await open();
      const seen: number[] = [];
      const off = store.onAppend((s) => seen.push(s));
      const c = await conv();
      await sleep(30);
      const s1 = await store.lastSeq();
      assert.ok(seen.includes(s1), `${seen} should include ${s1}`);
      const before = seen.length;
      await tx((t) => t.getConversation(c.id));
      await sleep(30);
      assert.equal(seen.length, before, 'no events, no wake-up');
      await send(c.id);
      await sleep(30);
      assert.equal(seen.at(-1), await store.lastSeq());
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1]);
      off();
      const n = seen.length;
      await send(c.id);
      await sleep(30);
      assert.equal(seen.length, n);
    });

    test('sessions: unfinished, claimable (oldest unfinished of each conversation), leases, sessionsWithStatus', async () => {
      await open();
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
      await open();
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
      await open();
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
      assert.equal(
        (await tx((t) => claimNextSession(t, { ...o, owner: 'runner-2' })))?.session.id,
        second.id,
      );
    });

    test('permission and cancel commands: answered once, unknown options refused, cancel queued or running', async () => {
      await open();
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
        await open();
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
        await open();
        const f = await fixture();
        const r = await recoverSessions(store, { now: f.now, instanceId: 'me', othersAreDead: true });
        assert.deepEqual(r.interrupted.sort(), [f.sent.id, f.liveOther.id, f.orphan.id].sort());
        assert.deepEqual(r.released.sort(), [f.notSent.id, f.claimedPending.id].sort());
        assert.equal((await store.getSession(f.mine.id))?.status, 'processing');
      });

      test('a lease renewed between the scan and the transaction is respected', async () => {
        await open();
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

    test('a second store on the same data sees everything; close makes it unavailable', async () => {
      await open();
      const c = await conv();
      const { session } = await send(c.id);
      const tables = await store.dumpTables();
      const seq = await store.lastSeq();
      await store.close();
      await assert.rejects(
        store.transaction(async () => 1),
        (e) => e instanceof StoreUnavailableError && e.status === 503,
      );
      store = await backend.another();
      assert.deepEqual(await store.dumpTables(), tables);
      assert.equal(await store.lastSeq(), seq);
      assert.deepEqual(await store.getSession(session.id), session);
      // The log continues where it was.
      await send(c.id);
      const next = await store.readEvents({ after: seq, limit: 10 });
      assert.ok(next.length === 2 && next[0].seq > seq);
    });

    test('dumpTables: every row, for the rebuild-from-log check', async () => {
      await open();
      const c = await conv();
      const d = await conv('D');
      const a = await send(c.id, 'one');
      const b = await send(d.id, 'two');
      const dump = await store.dumpTables();
      assert.deepEqual(dump.conversations.map((x) => x.id).sort(), [c.id, d.id].sort());
      assert.deepEqual(
        dump.messages.map((m) => m.id),
        [a.message.id, b.message.id],
      );
      assert.deepEqual(
        dump.sessions.map((s) => s.id),
        [a.session.id, b.session.id],
      );
      // The rows agree with the snapshots in the log.
      const events = await store.readEvents({ after: 0, limit: 1000 });
      const lastConv = new Map<string, unknown>();
      for (const e of events) if (e.conversation) lastConv.set(e.conversationId, e.conversation);
      for (const row of dump.conversations) {
        const snap = lastConv.get(row.id) as Conversation;
        assert.equal(snap.title, row.title);
        assert.equal(snap.version, row.version);
      }
    });
  });
}
