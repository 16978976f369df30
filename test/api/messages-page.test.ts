import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertError } from '../helpers/api-assert.ts';
import { useInProcess } from '../helpers/in-process.ts';

// Paged message history (an extension of CONTRACT section 3): a long conversation opens at its end.
// Whatever the demo agent answers, the pages put together must equal the whole history.

const s = useInProcess();

test('?limit and ?before page backwards through the history, oldest first within a page', async () => {
  const cid = (await s.api('POST', '/api/conversations', { agentId: 'demo' })).body.conversation.id;
  for (let i = 0; i < 7; i++) {
    const r = await s.api('POST', `/api/conversations/${cid}/messages`, { content: `/quick m${i}` });
    assert.equal(r.status, 201, r.text);
  }
  const all = (await s.api('GET', `/api/conversations/${cid}/messages`)).body.messages as Array<{
    id: string;
  }>;
  assert.ok(all.length >= 7);
  const pages: Array<Array<{ id: string }>> = [];
  let before: string | undefined;
  for (;;) {
    const q = before ? `?limit=3&before=${before}` : '?limit=3';
    const r = await s.api('GET', `/api/conversations/${cid}/messages${q}`);
    assert.equal(r.status, 200, r.text);
    pages.unshift(r.body.messages);
    assert.ok(r.body.messages.length <= 3);
    if (!r.body.hasMore) break;
    assert.equal(r.body.messages.length, 3);
    before = r.body.messages[0].id;
  }
  assert.deepEqual(
    pages.flat().map((m) => m.id),
    all.map((m) => m.id),
  );
});

test('the key a message was sent with travels on its message_created event', async () => {
  const cid = (await s.api('POST', '/api/conversations', { agentId: 'demo' })).body.conversation.id;
  const r = await s.api(
    'POST',
    `/api/conversations/${cid}/messages`,
    { content: '/quick hi' },
    { 'idempotency-key': 'k-page-1' },
  );
  assert.equal(r.status, 201, r.text);
  const events = (await s.api('GET', `/api/conversations/${cid}/events?after=0`)).body.events;
  const created = events.find(
    (e: { type: string; message?: { id: string } }) =>
      e.type === 'message_created' && e.message?.id === r.body.message.id,
  );
  assert.equal(created.idempotencyKey, 'k-page-1');
});

test('bad paging input is a 400, an anchor from elsewhere a 404', async () => {
  const cid = (await s.api('POST', '/api/conversations', { agentId: 'demo' })).body.conversation.id;
  assertError(await s.api('GET', `/api/conversations/${cid}/messages?limit=0`), 400);
  assertError(await s.api('GET', `/api/conversations/${cid}/messages?limit=abc`), 400);
  assertError(await s.api('GET', `/api/conversations/${cid}/messages?before=msg_nope`), 404);
});
