import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { retrySession, sendMessage } from '../../../src/commands/messages.ts';
import type { Message, Session } from '../../../src/domain/types.ts';
import { type Harness, rejectsWith } from './harness.ts';

// Messages and their sessions: send, order, retry.

export function messagesCases(h: Harness): void {
  const { tx, conv, send, setStatus } = h;
  test('sendMessage: message, pending session and their events; updated_at moves; unknown conversation stores nothing', async () => {
    const store = await h.open();
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
    const store = await h.open();
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

  test('retrySession: only after error, cancelled or interrupted; a new visible session', async () => {
    const store = await h.open();
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

  test('attachments of a message and the errorCode of a session are stored and read back (issue 11)', async () => {
    const store = await h.open();
    const c = await conv();
    const attachments = [
      { type: 'image' as const, name: 'a.png', mimeType: 'image/png', size: 3, sha256: 'ab'.repeat(32), url: '/api/attachments/x' },
      { type: 'file' as const, name: 'b.md', path: '/work/b.md' },
    ];
    const { message, session } = await tx((t) => sendMessage(t, c.id, { content: '', attachments }));
    assert.deepEqual((await store.getMessage(message.id))?.attachments, attachments);
    assert.equal((await store.getMessage((await send(c.id, 'plain')).message.id))?.attachments, undefined);
    const failed = await setStatus(session, { status: 'error', error: 'sign in', errorCode: 'auth_required' });
    assert.deepEqual(await store.getSession(session.id), failed);
    assert.equal((await store.getSession(session.id))?.errorCode, 'auth_required');
  });
}
