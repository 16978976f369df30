import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Conversation, Message, PermissionRequest, Session } from '../../../src/domain/types.ts';
import type { Harness } from './harness.ts';
import type { Store } from '../../../src/store/types.ts';

// Search and order, where the two stores used to differ: what `?q=` matches (titles and message text,
// never the JSON a message is stored as), how letters fold, and the order of rows that tie on their sort
// key (each list ends with a unique key, so ties come back the same on both).

const T = 1_800_000_000_000;

/** The ids listConversations returns, in its order (with `?q=` when q is given). */
async function listedIds(store: Store, q?: string): Promise<string[]> {
  const rows = q === undefined ? await store.listConversations() : await store.listConversations({ q });
  return rows.map((c) => c.id);
}

const conversation = (id: string, title: string, at = T): Conversation => ({
  id,
  agentId: 'demo',
  title,
  cwd: '/work',
  status: 'active',
  version: 1,
  settings: { autoApprove: false, allowAlways: [] },
  acpSessionId: null,
  created_at: at,
  updated_at: at,
});

const message = (id: string, conversationId: string, content: Message['content'], at = T): Message => ({
  id,
  conversationId,
  role: typeof content === 'string' ? 'user' : 'assistant',
  content,
  sessionId: null,
  created_at: at,
});

const session = (id: string, conversationId: string, status: Session['status'] = 'pending'): Session => ({
  id,
  conversationId,
  messageId: 'msg_x',
  agentId: 'demo',
  status,
  created_at: T,
  started_at: null,
  completed_at: null,
  response: null,
  error: null,
  stopReason: null,
  retryOf: null,
  promptSent: false,
});

export function searchOrderCases(h: Harness): void {
  const { conv, send, tx } = h;

  test('listConversations: newest updated_at first; search by title or message text, case-insensitive, literal % and _', async () => {
    const store = await h.open();
    const a = await conv('Alpha plans');
    await sleep(2);
    const b = await conv('Beta');
    await sleep(2);
    const d = await conv('100% done_ok');
    assert.deepEqual(await listedIds(store), [d.id, b.id, a.id]);
    await sleep(2);
    await send(a.id, 'Find the NEEDLE here');
    assert.deepEqual(await listedIds(store), [a.id, d.id, b.id]);
    assert.deepEqual(await listedIds(store, 'needle'), [a.id]);
    assert.deepEqual(await listedIds(store, 'BETA'), [b.id]);
    assert.deepEqual(await listedIds(store, '100%'), [d.id]);
    assert.deepEqual(await listedIds(store, 'e_o'), [d.id]);
    assert.deepEqual(await store.listConversations({ q: '%%' }), []);
    assert.equal((await store.listConversations({ q: '   ' })).length, 3);
  });

  test('search reads message text, never the JSON it is stored as', async () => {
    const store = await h.open();
    await tx(async (t) => {
      await t.insertConversation(conversation('conv_user', 'First', T + 3));
      await t.insertConversation(conversation('conv_answer', 'Second', T + 2));
      await t.insertConversation(conversation('conv_odd', 'Third', T + 1));
      await t.insertMessage(message('msg_u', 'conv_user', 'say "hi"\nthen C:\\dir {x}'));
      await t.insertMessage(
        message('msg_a', 'conv_answer', {
          text: 'The answer',
          blocks: [{ type: 'text', text: 'The answer' }],
        }),
      );
      // A NUL and a literal "\u0000" (backslash, u, zeros): neither may break the search.
      await t.insertMessage(message('msg_n', 'conv_odd', { text: 'a\u0000b \\u0000 end', blocks: [] }));
    });
    const found = (q: string) => listedIds(store, q);
    // The keys and punctuation of stored JSON match nothing.
    for (const q of ['blocks', 'role', 'type', 'text"', '"text', '{"', '\\n', '\\"', '":"']) {
      assert.deepEqual(await found(q), [], `?q=${q}`);
    }
    assert.deepEqual(await found('answer'), ['conv_answer']);
    assert.deepEqual(await found('say "hi"'), ['conv_user']);
    assert.deepEqual(await found('"hi"\nthen'), ['conv_user'], 'a newline in the text is a newline');
    assert.deepEqual(await found('C:\\dir'), ['conv_user'], 'a backslash in the text is one backslash');
    assert.deepEqual(await found('{x}'), ['conv_user']);
    assert.deepEqual(await found('ab'), ['conv_odd'], 'NUL characters are left out of the searched text');
    assert.deepEqual(await found('\\u0000 end'), ['conv_odd']);
    assert.deepEqual(await found('e'), ['conv_user', 'conv_answer', 'conv_odd'], 'newest first');
  });

  test('search folds ASCII letters only, the same on both stores', async () => {
    const store = await h.open();
    await tx(async (t) => {
      await t.insertConversation(conversation('conv_1', 'Über die Straße'));
      await t.insertMessage(message('msg_1', 'conv_1', 'ÉCOLE Résumé'));
    });
    const found = async (q: string) => (await store.listConversations({ q })).length;
    assert.equal(await found('über die'), 0, 'Ü is not ü');
    assert.equal(await found('Über DIE'), 1);
    assert.equal(await found('STRAßE'), 1);
    assert.equal(await found('école'), 0, 'É is not é');
    assert.equal(await found('École'), 1);
    assert.equal(await found('RÉSUMÉ'), 0);
    assert.equal(await found('rÉsumÉ'), 0);
    assert.equal(await found('résumé'), 1);
  });

  test('ties: conversations by id (byte order), messages and sessions by insertion, permissions by insertion', async () => {
    const store = await h.open();
    // Inserted in an order that is neither id order nor its reverse, all at the same millisecond.
    const ids = ['conv_b', 'conv_ä', 'conv_C', 'conv_a', 'conv_B'];
    await tx(async (t) => {
      for (const id of ids) await t.insertConversation(conversation(id, `Title ${id}`));
      for (const id of ['msg_b', 'msg_c', 'msg_a']) await t.insertMessage(message(id, 'conv_a', `m ${id}`));
      for (const id of ['sess_b', 'sess_c', 'sess_a']) await t.insertSession(session(id, 'conv_a'));
    });
    const byBytes = [...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual(byBytes, ['conv_B', 'conv_C', 'conv_a', 'conv_b', 'conv_ä']);
    assert.deepEqual(await listedIds(store), byBytes);
    assert.deepEqual(await listedIds(store, 'title'), byBytes);
    assert.deepEqual(
      (await store.dumpTables()).conversations.map((c) => c.id),
      byBytes,
    );
    assert.deepEqual(
      (await store.listMessages('conv_a')).map((m) => m.id),
      ['msg_b', 'msg_c', 'msg_a'],
    );
    assert.deepEqual(
      (await store.listMessages('conv_a', { limit: 2 })).map((m) => m.id),
      ['msg_c', 'msg_a'],
    );
    assert.deepEqual(
      (await store.listMessages('conv_a', { limit: 2, before: 'msg_a' })).map((m) => m.id),
      ['msg_b', 'msg_c'],
    );
    assert.deepEqual(
      (await store.listSessions('conv_a')).map((s) => s.id),
      ['sess_a', 'sess_c', 'sess_b'],
    );
    assert.equal((await store.latestSession('conv_a'))?.id, 'sess_a');
    assert.deepEqual(
      (await store.sessionsWithStatus(['pending'])).map((s) => s.id),
      ['sess_b', 'sess_c', 'sess_a'],
    );
    assert.deepEqual(
      (await tx((t) => t.unfinishedSessions('conv_a'))).map((s) => s.id),
      ['sess_b', 'sess_c', 'sess_a'],
    );

    const ask = (requestId: string): PermissionRequest => ({
      requestId,
      sessionId: 'sess_a',
      conversationId: 'conv_a',
      toolCall: null,
      options: [{ optionId: 'ok', name: 'OK', kind: 'allow_once' }],
      status: 'pending',
      optionId: null,
      created_at: T,
      resolved_at: null,
    });
    await tx(async (t) => {
      for (const id of ['r2', 'r10', 'r1']) await t.insertPermission(ask(id));
    });
    assert.deepEqual(
      (await store.pendingPermissions('conv_a')).map((p) => p.requestId),
      ['r2', 'r10', 'r1'],
    );
    assert.deepEqual(
      (await tx((t) => t.pendingPermissions('sess_a'))).map((p) => p.requestId),
      ['r2', 'r10', 'r1'],
    );
  });
}
