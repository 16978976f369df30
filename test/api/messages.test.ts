import assert from 'node:assert/strict';
import { mkdir, realpath, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { assertError } from '../helpers/api-assert.ts';
import { newConversation as conversation } from '../helpers/calls.ts';
import { useDataDb } from '../helpers/data-db.ts';
import { useInProcess } from '../helpers/in-process.ts';

// CONTRACT section 3: messages, against the in-process server. "Nothing stored" is checked in the
// database file itself.

const s = useInProcess();
const db = useDataDb(s);

/**
 * Rows of one conversation (plus all idempotency records). Per conversation, because the runner may be
 * writing to conversations that have sessions; the ones checked here never had one.
 */
function counts(cid: string) {
  const n = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE conversation_id = ?`).get(cid) as { n: number }).n;
  const idempotency = (db.prepare('SELECT count(*) AS n FROM idempotency').get() as { n: number }).n;
  return { messages: n('messages'), sessions: n('sessions'), events: n('events'), idempotency };
}

describe('send', () => {
  test('201 {message, session, idempotencyKey}: a user message and its session for that message', async () => {
    const cid = await conversation(s);
    const r = await s.api('POST', `/api/conversations/${cid}/messages`, { content: 'hello' });
    assert.equal(r.status, 201, r.text);
    const { message, session, idempotencyKey } = r.body;
    assert.match(message.id, /^msg_/);
    assert.equal(message.conversationId, cid);
    assert.equal(message.role, 'user');
    assert.equal(message.content, 'hello');
    assert.equal(message.sessionId, session.id);
    assert.equal(typeof message.created_at, 'number');
    assert.match(session.id, /^sess_/);
    assert.equal(session.conversationId, cid);
    assert.equal(session.messageId, message.id);
    assert.equal(session.status, 'pending', 'a session is created pending with its message');
    assert.equal(session.response, null);
    assert.equal(session.error, null);
    assert.equal(session.completed_at, null);
    assert.equal(idempotencyKey, null);
    // Readable afterwards, whatever the runner did with the session since.
    const got = await s.api('GET', `/api/conversations/${cid}/messages/${message.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body.message, message);
    const sess = await s.api('GET', `/api/sessions/${session.id}`);
    assert.equal(sess.status, 200);
    assert.equal(sess.body.session.messageId, message.id);
    assert.ok(Array.isArray(sess.body.events));
  });

  test('list is oldest first and keeps the order of sends', async () => {
    const cid = await conversation(s);
    for (let i = 0; i < 5; i++) {
      assert.equal(
        (await s.api('POST', `/api/conversations/${cid}/messages`, { content: `m${i}` })).status,
        201,
      );
    }
    const list = await s.api('GET', `/api/conversations/${cid}/messages`);
    assert.equal(list.status, 200);
    const users = list.body.messages.filter((m: { role: string }) => m.role === 'user');
    assert.deepEqual(
      users.map((m: { content: string }) => m.content),
      ['m0', 'm1', 'm2', 'm3', 'm4'],
    );
    for (let i = 1; i < list.body.messages.length; i++) {
      assert.ok(list.body.messages[i - 1].created_at <= list.body.messages[i].created_at);
    }
  });

  test('an explicit known agentId is accepted; an unknown one is a 400 and stores nothing', async () => {
    const cid = await conversation(s);
    const before = counts(cid);
    assertError(
      await s.api('POST', `/api/conversations/${cid}/messages`, { content: 'x', agentId: 'nope' }),
      400,
      'unknown_agent',
    );
    assert.deepEqual(counts(cid), before);
    const ok = await s.api('POST', `/api/conversations/${cid}/messages`, { content: 'x', agentId: 'demo' });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.session.agentId, 'demo');
  });

  test('empty, blank, missing or non-string content is a 400 and stores nothing', async () => {
    const cid = await conversation(s);
    const before = counts(cid);
    for (const body of [
      { content: '' },
      { content: '   \n' },
      {},
      { content: 5 },
      { content: null },
      { content: ['a'] },
    ]) {
      assertError(await s.api('POST', `/api/conversations/${cid}/messages`, body), 400);
    }
    assert.deepEqual(counts(cid), before);
  });

  test('long content (100 KB) round-trips exactly, unicode included', async () => {
    const cid = await conversation(s);
    const content = `ünïcödé 🚀 ${'x'.repeat(100_000)} "quotes" \\ \u2028`;
    const r = await s.api('POST', `/api/conversations/${cid}/messages`, { content });
    assert.equal(r.status, 201);
    const got = await s.api('GET', `/api/conversations/${cid}/messages/${r.body.message.id}`);
    assert.equal(got.body.message.content, content);
  });

  test('a message posted to an unknown conversation is a 404 and nothing is stored (with or without a key)', async () => {
    const before = counts('conv_nope');
    assertError(
      await s.api('POST', '/api/conversations/conv_nope/messages', { content: 'lost?' }),
      404,
      'not_found',
    );
    assertError(
      await s.api('POST', '/api/conversations/conv_nope/messages', {
        content: 'lost?',
        idempotencyKey: 'k-unknown',
      }),
      404,
    );
    assert.deepEqual(counts('conv_nope'), before, 'no message, session, event or idempotency record');
    assert.deepEqual(before, { ...before, messages: 0, sessions: 0, events: 0 });
  });

  test('a message to a deleted conversation is a 404', async () => {
    const cid = await conversation(s);
    assert.equal((await s.api('DELETE', `/api/conversations/${cid}`)).status, 200);
    assertError(await s.api('POST', `/api/conversations/${cid}/messages`, { content: 'x' }), 404);
  });

  test('malformed JSON, unknown fields and wrong types are 400s', async () => {
    const cid = await conversation(s);
    const url = `/api/conversations/${cid}/messages`;
    assertError(await s.api('POST', url, '{"content": "x"'), 400, 'invalid_json');
    assertError(await s.api('POST', url, { content: 'x', bogus: true }), 400);
    assertError(await s.api('POST', url, { content: 'x', folderContext: 'path' }), 400);
    assertError(await s.api('POST', url, { content: 'x', idempotencyKey: 5 }), 400);
    assertError(await s.api('POST', url, { content: 'x', agentId: '' }), 400);
  });
});

describe('folderContext', () => {
  test('inside the roots it is stored as its real path', async () => {
    const cid = await conversation(s);
    const dir = join(s.rootDir, 'ctx');
    await mkdir(dir, { recursive: true });
    const r = await s.api('POST', `/api/conversations/${cid}/messages`, {
      content: 'x',
      folderContext: { path: dir },
    });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body.message.folderContext, { path: join(await realpath(s.rootDir), 'ctx') });
  });

  test('outside the roots ("..", absolute, symlink out) is a 403 and stores nothing', async () => {
    const cid = await conversation(s);
    const link = join(s.rootDir, 'out-link');
    await symlink(tmpdir(), link);
    const before = counts(cid);
    for (const path of [join(s.rootDir, '..'), '/etc', link, join(link, 'deeper')]) {
      assertError(
        await s.api('POST', `/api/conversations/${cid}/messages`, { content: 'x', folderContext: { path } }),
        403,
        'outside_roots',
      );
    }
    assert.deepEqual(counts(cid), before);
  });
});

describe('message by id', () => {
  test('unknown message, and a message of another conversation, are 404s', async () => {
    const a = await conversation(s);
    const b = await conversation(s);
    const r = await s.api('POST', `/api/conversations/${a}/messages`, { content: 'in a' });
    assertError(await s.api('GET', `/api/conversations/${a}/messages/msg_nope`), 404);
    assertError(await s.api('GET', `/api/conversations/${b}/messages/${r.body.message.id}`), 404);
    assertError(await s.api('GET', '/api/conversations/conv_nope/messages'), 404);
  });
});
