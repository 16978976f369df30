import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { SQLITE_FILE } from '../../src/store/open.ts';
import { assertError } from '../helpers/api-assert.ts';
import { newConversation } from '../helpers/calls.ts';
import { useDataDb } from '../helpers/data-db.ts';
import { startInProcess, useInProcess } from '../helpers/in-process.ts';

// CONTRACT section 4 against the in-process server: one effect per key, the first response replayed
// byte for byte.

const s = useInProcess();
const db = useDataDb(s);
const conversation = () => newConversation(s);

/** User messages and sessions of a conversation (the runner only adds assistant messages). */
async function effects(cid: string) {
  const messages = (await s.api('GET', `/api/conversations/${cid}/messages`)).body.messages as Array<{
    id: string;
    role: string;
    content: string;
  }>;
  const sessions = (await s.api('GET', `/api/conversations/${cid}/sessions`)).body.sessions as Array<{
    id: string;
  }>;
  return { users: messages.filter((m) => m.role === 'user'), sessions };
}

const send = (cid: string, body: unknown, headers: Record<string, string> = {}) =>
  s.api('POST', `/api/conversations/${cid}/messages`, body, headers);

describe('message sends', () => {
  test('sequential retries: same status, byte-identical body, one message, one session', async () => {
    const cid = await conversation();
    const first = await send(cid, { content: 'once', idempotencyKey: 'seq-1' });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.idempotencyKey, 'seq-1');
    assert.equal(first.headers.get('idempotent-replayed'), null);
    for (let i = 0; i < 3; i++) {
      const again = await send(cid, { content: 'once', idempotencyKey: 'seq-1' });
      assert.equal(again.status, 201);
      assert.equal(again.text, first.text, 'the stored response, not a fresh read');
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
    }
    const { users, sessions } = await effects(cid);
    assert.deepEqual(
      users.map((m) => m.id),
      [first.body.message.id],
    );
    assert.deepEqual(
      sessions.map((x) => x.id),
      [first.body.session.id],
    );
  });

  test('20 concurrent sends with one key: all get the same answer, exactly one message and one session', async () => {
    const cid = await conversation();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => send(cid, { content: 'burst' }, { 'idempotency-key': 'burst-1' })),
    );
    const texts = new Set(results.map((r) => r.text));
    assert.deepEqual(
      results.map((r) => r.status),
      Array(20).fill(201),
    );
    assert.equal(texts.size, 1, 'every response is the first one');
    assert.equal(
      results.filter((r) => r.headers.get('idempotent-replayed') !== 'true').length,
      1,
      'one effect',
    );
    const { users, sessions } = await effects(cid);
    assert.equal(users.length, 1);
    assert.equal(sessions.length, 1);
    assert.equal(users[0].id, results[0].body.message.id);
  });

  test('20 concurrent sends with 20 different keys: 20 messages, none lost, none doubled', async () => {
    const cid = await conversation();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => send(cid, { content: `c${i}`, idempotencyKey: `many-${i}` })),
    );
    for (const r of results) assert.equal(r.status, 201, r.text);
    const { users, sessions } = await effects(cid);
    assert.equal(users.length, 20);
    assert.equal(sessions.length, 20);
    assert.deepEqual(
      new Set(users.map((m) => m.content)),
      new Set(results.map((r) => r.body.message.content)),
    );
  });

  test('the header key and the body key are the same key', async () => {
    const cid = await conversation();
    const viaHeader = await send(cid, { content: 'same' }, { 'idempotency-key': 'hb-1' });
    const viaBody = await send(cid, { content: 'same', idempotencyKey: 'hb-1' });
    const viaBoth = await send(
      cid,
      { content: 'same', idempotencyKey: 'hb-1' },
      { 'idempotency-key': 'hb-1' },
    );
    assert.equal(viaHeader.status, 201);
    assert.equal(viaBody.text, viaHeader.text);
    assert.equal(viaBoth.text, viaHeader.text);
    // And the other way round: body first, then header.
    const b1 = await send(cid, { content: 'other', idempotencyKey: 'hb-2' });
    const b2 = await send(cid, { content: 'other' }, { 'idempotency-key': 'hb-2' });
    assert.equal(b2.text, b1.text);
    assert.equal((await effects(cid)).users.length, 2);
  });

  test('header and body naming two different keys is a 400 and stores nothing', async () => {
    const cid = await conversation();
    assertError(
      await send(cid, { content: 'x', idempotencyKey: 'a' }, { 'idempotency-key': 'b' }),
      400,
      'idempotency_key_conflict',
    );
    assert.equal((await effects(cid)).users.length, 0);
  });

  test('same key, different payload: 422 and nothing changed, the first answer still replays', async () => {
    const cid = await conversation();
    const first = await send(cid, { content: 'original', idempotencyKey: 'diff-1' });
    assert.equal(first.status, 201);
    const record = () => db.prepare('SELECT * FROM idempotency WHERE key = ?').all('diff-1');
    const stored = record();
    for (const other of [
      { content: 'changed' },
      { content: 'original', agentId: 'demo' },
      { content: 'original', folderContext: { path: s.rootDir } },
    ]) {
      assertError(await send(cid, { ...other, idempotencyKey: 'diff-1' }), 422, 'idempotency_key_reused');
    }
    assert.deepEqual(record(), stored);
    const { users, sessions } = await effects(cid);
    assert.equal(users.length, 1);
    assert.equal(sessions.length, 1);
    assert.equal((await send(cid, { content: 'original', idempotencyKey: 'diff-1' })).text, first.text);
  });

  test('the payload fingerprint ignores key order and whitespace of the JSON', async () => {
    const cid = await conversation();
    const a = await send(cid, `{"content":"order","folderContext":{"path":${JSON.stringify(s.rootDir)}}}`, {
      'idempotency-key': 'order-1',
    });
    const b = await send(
      cid,
      `{ "folderContext" : { "path" : ${JSON.stringify(s.rootDir)} } , "content" : "order" }`,
      {
        'idempotency-key': 'order-1',
      },
    );
    assert.equal(a.status, 201, a.text);
    assert.equal(b.text, a.text);
  });

  test('a key is scoped to its route and conversation', async () => {
    const a = await conversation();
    const b = await conversation();
    const ra = await send(a, { content: 'scoped', idempotencyKey: 'scope-1' });
    const rb = await send(b, { content: 'scoped', idempotencyKey: 'scope-1' });
    assert.equal(ra.status, 201);
    assert.equal(rb.status, 201);
    assert.notEqual(ra.body.message.id, rb.body.message.id);
    assert.equal(rb.body.message.conversationId, b);
    // The same key on another route (conversation creation) is another key too.
    const c = await s.api('POST', '/api/conversations', { agentId: 'demo', idempotencyKey: 'scope-1' });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.headers.get('idempotent-replayed'), null);
  });

  test('invalid keys are 400s: too long, control characters, wrong type', async () => {
    const cid = await conversation();
    assertError(
      await send(cid, { content: 'x', idempotencyKey: 'k'.repeat(201) }),
      400,
      'invalid_idempotency_key',
    );
    assertError(
      await send(cid, { content: 'x', idempotencyKey: 'has space' }),
      400,
      'invalid_idempotency_key',
    );
    assertError(await send(cid, { content: 'x', idempotencyKey: 12 }), 400);
    assert.equal((await effects(cid)).users.length, 0);
  });

  test('a failed request does not burn the key: a 400 then a valid send with the same key works once', async () => {
    const cid = await conversation();
    assertError(await send(cid, { content: '', idempotencyKey: 'burn-1' }), 400);
    const ok = await send(cid, { content: 'now valid', idempotencyKey: 'burn-1' });
    assert.equal(ok.status, 201, ok.text);
    assert.equal((await send(cid, { content: 'now valid', idempotencyKey: 'burn-1' })).text, ok.text);
  });
});

describe('conversation creation', () => {
  test('one key, one conversation, replayed byte for byte; different payload is a 422', async () => {
    const count = () => (db.prepare('SELECT count(*) AS n FROM conversations').get() as { n: number }).n;
    const before = count();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        s.api(
          'POST',
          '/api/conversations',
          { agentId: 'demo', title: 'idem' },
          { 'idempotency-key': 'conv-1' },
        ),
      ),
    );
    for (const r of results) assert.equal(r.status, 201, r.text);
    assert.equal(new Set(results.map((r) => r.text)).size, 1);
    assert.equal(count(), before + 1);
    assertError(
      await s.api(
        'POST',
        '/api/conversations',
        { agentId: 'demo', title: 'other' },
        { 'idempotency-key': 'conv-1' },
      ),
      422,
    );
    assert.equal(count(), before + 1);
  });
});

describe('expiry', () => {
  test('after GMGUI_IDEMPOTENCY_TTL_MS a key is free again and its record is purged', async () => {
    const short = await startInProcess({ env: { GMGUI_IDEMPOTENCY_TTL_MS: '1000' } });
    const sdb = new Database(join(short.dataDir, SQLITE_FILE), { readonly: true });
    try {
      const c = await short.api('POST', '/api/conversations', { agentId: 'demo' });
      const cid = c.body.conversation.id;
      const first = await short.api('POST', `/api/conversations/${cid}/messages`, {
        content: 'a',
        idempotencyKey: 'ttl',
      });
      assert.equal(first.status, 201);
      const replay = await short.api('POST', `/api/conversations/${cid}/messages`, {
        content: 'a',
        idempotencyKey: 'ttl',
      });
      assert.equal(replay.text, first.text, 'within the TTL it replays');
      await new Promise((r) => setTimeout(r, 1100));
      // Expired: the same key now has a new effect, and a different payload is no longer a 422.
      const fresh = await short.api('POST', `/api/conversations/${cid}/messages`, {
        content: 'a',
        idempotencyKey: 'ttl',
      });
      assert.equal(fresh.status, 201, fresh.text);
      assert.notEqual(fresh.body.message.id, first.body.message.id);
      const other = await short.api('POST', `/api/conversations/${cid}/messages`, {
        content: 'b',
        idempotencyKey: 'ttl-other',
      });
      assert.equal(other.status, 201);
      // The periodic purge removes expired records from the table.
      const deadline = Date.now() + 15_000;
      const left = () =>
        (
          sdb.prepare(`SELECT count(*) AS n FROM idempotency WHERE key IN ('ttl', 'ttl-other')`).get() as {
            n: number;
          }
        ).n;
      while (left() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.equal(left(), 0, 'expired records are purged');
    } finally {
      sdb.close();
      await short.stop();
    }
  });
});
