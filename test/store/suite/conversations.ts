import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deleteConversation, updateConversation } from '../../../src/commands/conversations.ts';
import type { AppError } from '../../../src/domain/errors.ts';
import type { Conversation, Message, PermissionRequest, Session } from '../../../src/domain/types.ts';
import { type Harness, rejectsWith } from './harness.ts';

// Conversations: the empty store, values read back exactly as written, create, update (If-Match), delete.

export function conversationsCases(h: Harness): void {
  const { tx, conv, send } = h;
  test('an empty store', async () => {
    const store = await h.open();
    assert.equal(store.kind, h.backend.name);
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
    const store = await h.open();
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
    const store = await h.open();
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
    const store = await h.open();
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
    const store = await h.open();
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
    const store = await h.open();
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
}
