import assert from 'node:assert/strict';
import { mkdir, realpath, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { assertError } from '../helpers/api-assert.ts';
import { useInProcess } from '../helpers/in-process.ts';
import { setup } from '../helpers/use.ts';

// CONTRACT section 3: conversations CRUD, versioning and If-Match, against the in-process server.

const s = useInProcess();
let root: string;

setup(async () => {
  root = await realpath(s.rootDir);
});

async function create(body: Record<string, unknown> = { agentId: 'demo' }) {
  const r = await s.api('POST', '/api/conversations', body);
  assert.equal(r.status, 201, r.text);
  return r.body.conversation;
}

describe('create', () => {
  test('201 with every contract field; defaults for title and cwd', async () => {
    const before = Date.now();
    const c = await create();
    assert.match(c.id, /^conv_/);
    assert.equal(c.agentId, 'demo');
    assert.equal(c.title, 'New conversation');
    assert.equal(c.cwd, root, 'cwd defaults to the first root');
    assert.equal(c.status, 'active');
    assert.equal(c.version, 1);
    assert.equal(typeof c.created_at, 'number');
    assert.ok(c.created_at >= before - 5_000 && c.created_at <= Date.now() + 5_000, 'epoch milliseconds');
    assert.equal(c.updated_at, c.created_at);
    const got = await s.api('GET', `/api/conversations/${c.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body.conversation, c);
  });

  test('title and a cwd inside the roots are kept (cwd as its real path)', async () => {
    await mkdir(join(s.rootDir, 'proj'), { recursive: true });
    const c = await create({ agentId: 'demo', title: 'My work', cwd: join(s.rootDir, 'proj') });
    assert.equal(c.title, 'My work');
    assert.equal(c.cwd, join(root, 'proj'));
  });

  test('unknown agentId is a 400 and creates nothing', async () => {
    const before = (await s.api('GET', '/api/conversations')).body.conversations.length;
    assertError(
      await s.api('POST', '/api/conversations', { agentId: 'no-such-agent' }),
      400,
      'unknown_agent',
    );
    assert.equal((await s.api('GET', '/api/conversations')).body.conversations.length, before);
  });

  test('cwd outside the roots is a 403: absolute, "..", and a symlink leading out', async () => {
    assertError(
      await s.api('POST', '/api/conversations', { agentId: 'demo', cwd: tmpdir() }),
      403,
      'outside_roots',
    );
    assertError(
      await s.api('POST', '/api/conversations', { agentId: 'demo', cwd: join(s.rootDir, '..') }),
      403,
      'outside_roots',
    );
    const link = join(s.rootDir, 'escape-link');
    await symlink(tmpdir(), link);
    assertError(
      await s.api('POST', '/api/conversations', { agentId: 'demo', cwd: link }),
      403,
      'outside_roots',
    );
  });

  test('missing or wrongly typed fields are 400s', async () => {
    assertError(await s.api('POST', '/api/conversations', {}), 400, 'invalid_request');
    assertError(await s.api('POST', '/api/conversations', { agentId: 42 }), 400, 'invalid_request');
    assertError(
      await s.api('POST', '/api/conversations', { agentId: 'demo', title: ['x'] }),
      400,
      'invalid_request',
    );
    assertError(
      await s.api('POST', '/api/conversations', { agentId: 'demo', extra: 1 }),
      400,
      'invalid_request',
    );
    assertError(await s.api('POST', '/api/conversations', '[1,2]'), 400);
    assertError(await s.api('POST', '/api/conversations', '{"agentId":'), 400, 'invalid_json');
  });
});

describe('list, get, delete', () => {
  test('list is newest updated_at first, and a message moves its conversation to the top', async () => {
    const a = await create({ agentId: 'demo', title: 'A' });
    const b = await create({ agentId: 'demo', title: 'B' });
    let list = (await s.api('GET', '/api/conversations')).body.conversations as Array<{
      id: string;
      updated_at: number;
    }>;
    for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].updated_at >= list[i].updated_at, 'sorted');
    assert.ok(
      list.findIndex((c) => c.id === b.id) < list.findIndex((c) => c.id === a.id) ||
        a.updated_at === b.updated_at,
    );
    // Wait for the clock to move so the message's time is strictly later than b's.
    while (Date.now() <= b.updated_at) await new Promise((r) => setTimeout(r, 2));
    const sent = await s.api('POST', `/api/conversations/${a.id}/messages`, { content: 'bump' });
    assert.equal(sent.status, 201, sent.text);
    list = (await s.api('GET', '/api/conversations')).body.conversations;
    assert.equal(list[0].id, a.id, 'the conversation with the newest message is first');
    // At least the message's time (the agent's answer may already have moved it further).
    assert.ok(list[0].updated_at >= sent.body.message.created_at);
  });

  test('?q= finds conversations by title or message text; % and _ are literal', async () => {
    const byTitle = await create({ agentId: 'demo', title: 'Needle in the title' });
    const byMessage = await create({ agentId: 'demo', title: 'plain' });
    await s.api('POST', `/api/conversations/${byMessage.id}/messages`, { content: 'a needle in a message' });
    const percent = await create({ agentId: 'demo', title: 'costs 100% more' });
    const ids = async (q: string) =>
      (
        (await s.api('GET', `/api/conversations?q=${encodeURIComponent(q)}`)).body.conversations as Array<{
          id: string;
        }>
      )
        .map((c) => c.id)
        .sort();
    assert.deepEqual(await ids('needle'), [byTitle.id, byMessage.id].sort());
    assert.deepEqual(await ids('100%'), [percent.id]);
    assert.deepEqual(await ids('no such text anywhere'), []);
    // (Conversations the demo agent answered may contain these characters: look only at known ones.)
    const pct = await ids('%');
    assert.ok(pct.includes(percent.id) && !pct.includes(byTitle.id), '% matches only a literal %');
    assert.ok(!(await ids('_')).includes(byTitle.id), '_ matches only a literal _');
  });

  test('GET an unknown conversation is a 404', async () => {
    assertError(await s.api('GET', '/api/conversations/conv_nope'), 404, 'not_found');
  });

  test('DELETE removes it with its messages; a second DELETE is a 404', async () => {
    const c = await create();
    assert.equal((await s.api('POST', `/api/conversations/${c.id}/messages`, { content: 'x' })).status, 201);
    const del = await s.api('DELETE', `/api/conversations/${c.id}`);
    assert.equal(del.status, 200);
    assert.deepEqual(del.body, { deleted: true });
    assertError(await s.api('GET', `/api/conversations/${c.id}`), 404);
    assertError(await s.api('GET', `/api/conversations/${c.id}/messages`), 404);
    assert.ok(
      !(await s.api('GET', '/api/conversations')).body.conversations.some(
        (x: { id: string }) => x.id === c.id,
      ),
    );
    assertError(await s.api('DELETE', `/api/conversations/${c.id}`), 404);
    // The log keeps the deletion.
    const ev = await s.api('GET', '/api/events?after=0&limit=10000');
    assert.ok(
      ev.body.events.some(
        (e: { type: string; conversationId: string }) =>
          e.type === 'conversation_deleted' && e.conversationId === c.id,
      ),
    );
  });
});

describe('update, version and If-Match', () => {
  test('POST and PATCH update title and status; version grows by one per change', async () => {
    const c = await create();
    const r1 = await s.api('PATCH', `/api/conversations/${c.id}`, { title: 'Renamed' });
    assert.equal(r1.status, 200, r1.text);
    assert.equal(r1.body.conversation.title, 'Renamed');
    assert.equal(r1.body.conversation.version, 2);
    const r2 = await s.api('POST', `/api/conversations/${c.id}`, { status: 'archived' });
    assert.equal(r2.status, 200, r2.text);
    assert.equal(r2.body.conversation.status, 'archived');
    assert.equal(r2.body.conversation.version, 3);
    assert.equal(r2.body.conversation.title, 'Renamed');
    // No actual change: same version.
    const r3 = await s.api('PATCH', `/api/conversations/${c.id}`, { status: 'archived' });
    assert.equal(r3.body.conversation.version, 3);
    assert.equal((await s.api('GET', `/api/conversations/${c.id}`)).body.conversation.version, 3);
  });

  test('a message does not change the conversation version (not its own field)', async () => {
    const c = await create();
    await s.api('POST', `/api/conversations/${c.id}/messages`, { content: 'hi' });
    assert.equal((await s.api('GET', `/api/conversations/${c.id}`)).body.conversation.version, 1);
  });

  test('If-Match: bare and quoted (ETag) versions are accepted; a stale one is a 412 and changes nothing', async () => {
    const c = await create();
    const ok1 = await s.api('PATCH', `/api/conversations/${c.id}`, { title: 'one' }, { 'if-match': '1' });
    assert.equal(ok1.status, 200, ok1.text);
    const ok2 = await s.api('PATCH', `/api/conversations/${c.id}`, { title: 'two' }, { 'if-match': '"2"' });
    assert.equal(ok2.status, 200, ok2.text);
    assert.equal(ok2.body.conversation.version, 3);
    const stale = await s.api('PATCH', `/api/conversations/${c.id}`, { title: 'three' }, { 'if-match': '2' });
    assertError(stale, 412, 'version_mismatch');
    const now = (await s.api('GET', `/api/conversations/${c.id}`)).body.conversation;
    assert.equal(now.title, 'two');
    assert.equal(now.version, 3);
  });

  test('a non-number If-Match is a 400', async () => {
    const c = await create();
    for (const bad of ['abc', '"x"', '1.5', '-1', '*']) {
      assertError(
        await s.api('PATCH', `/api/conversations/${c.id}`, { title: 'x' }, { 'if-match': bad }),
        400,
      );
    }
    assert.equal((await s.api('GET', `/api/conversations/${c.id}`)).body.conversation.version, 1);
  });

  test('update validation: wrong types, unknown status, unknown fields are 400; unknown id is 404', async () => {
    const c = await create();
    assertError(await s.api('PATCH', `/api/conversations/${c.id}`, { title: 5 }), 400);
    assertError(await s.api('PATCH', `/api/conversations/${c.id}`, { status: 'deleted' }), 400);
    assertError(await s.api('PATCH', `/api/conversations/${c.id}`, { agentId: 'demo' }), 400);
    assertError(await s.api('PATCH', '/api/conversations/conv_nope', { title: 'x' }), 404);
  });

  test('concurrent updates with the same If-Match: exactly one wins, the rest get 412', async () => {
    const c = await create();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        s.api('PATCH', `/api/conversations/${c.id}`, { title: `t${i}` }, { 'if-match': '1' }),
      ),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    assert.equal(results.filter((r) => r.status === 412).length, 9);
    assert.equal((await s.api('GET', `/api/conversations/${c.id}`)).body.conversation.version, 2);
  });
});
