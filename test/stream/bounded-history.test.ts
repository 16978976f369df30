import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertError } from '../helpers/api-assert.ts';
import { useServer } from '../helpers/server.ts';
import { type LongTurn, seedLongTurn } from './bounded-seed.ts';
import { assertStrictlyIncreasing, type Ev, storedEvents, stream } from './helpers.ts';

// Issue 10, bounded history reads (CONTRACT section 8, "Paged history"): a long turn's events come in
// pages of bounded bytes that reassemble exactly; the WebSocket catch-up of the same turn delivers the
// same events once each. The turn is written through the runner's own commands before the server starts.

const PAGE = 64 * 1024;
let turn: LongTurn;
const s = useServer({
  prepare: async ({ dataDir, rootDir }) => {
    turn = await seedLongTurn(dataDir, { cwd: rootDir, outputBytes: 6 * 1024 * 1024 });
  },
});

/** Every event of the session, straight from the conversation's log (the reference). */
async function reference(): Promise<Ev[]> {
  return (await storedEvents(s, turn.conversationId, 0, 5000)).filter((e) => e.sessionId === turn.sessionId);
}

describe('paged session history', () => {
  test('pages of at most maxBytes (or one event larger than that) reassemble the session exactly', async () => {
    const pages: Array<{ bytes: number; events: Ev[] }> = [];
    let r = await s.api('GET', `/api/sessions/${turn.sessionId}?maxBytes=${PAGE}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.session.id, turn.sessionId, 'the first page carries the session row');
    assert.equal(r.body.session.status, 'completed');
    for (;;) {
      pages.push({ bytes: Buffer.byteLength(r.text), events: r.body.events });
      assert.ok(Array.isArray(r.body.events) && 'nextAfter' in r.body, 'each page is {events, nextAfter}');
      if (r.body.nextAfter === null) break;
      assert.equal(r.body.nextAfter, r.body.events.at(-1).seq, 'nextAfter is the last seq of the page');
      r = await s.api('GET', `/api/sessions/${turn.sessionId}?after=${r.body.nextAfter}&maxBytes=${PAGE}`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.session, undefined, 'a continuation page does not repeat the session row');
    }
    assert.ok(pages.length > 50, `a 6 MB turn in 64 KB pages takes many pages, got ${pages.length}`);
    for (const [i, p] of pages.entries()) {
      assert.ok(p.events.length >= 1, `page ${i} moves on`);
      assert.ok(
        p.bytes <= PAGE || p.events.length === 1,
        `page ${i}: ${p.bytes} bytes in ${p.events.length} events`,
      );
    }
    const all = pages.flatMap((p) => p.events);
    assertStrictlyIncreasing(all);
    assert.deepEqual(all, await reference(), 'the pages are the stored events, none missing or repeated');
    // And what they carry is whole: the deltas add up to the answer.
    const text = all
      .filter((e) => e.type === 'text_delta')
      .map((e) => e.text)
      .join('');
    const done = all.find((e) => e.type === 'session_updated' && e.status === 'completed') as Ev & {
      session: { response: { text: string } };
    };
    assert.equal(text, done.session.response.text);
  });

  test('without parameters the first page is bounded and keeps the old shape; limit caps the count', async () => {
    for (const path of [
      `/api/sessions/${turn.sessionId}`,
      `/api/conversations/${turn.conversationId}/sessions/latest`,
    ]) {
      const r = await s.api('GET', path);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.session.id, turn.sessionId);
      assert.ok(r.body.events.length > 0);
      assert.ok(
        Buffer.byteLength(r.text) <= 1024 * 1024 || r.body.events.length === 1,
        `${path}: ${r.text.length} bytes`,
      );
      assert.equal(typeof r.body.nextAfter, 'number', 'more pages follow');
    }
    const ten = await s.api('GET', `/api/conversations/${turn.conversationId}/sessions/latest?limit=10`);
    assert.equal(ten.body.events.length, 10);
    assert.equal(ten.body.nextAfter, ten.body.events[9].seq);
    const rest = await s.api('GET', `/api/sessions/${turn.sessionId}?after=${ten.body.nextAfter}&limit=5`);
    assert.deepEqual(
      [...ten.body.events, ...rest.body.events].map((e: Ev) => e.seq),
      (await reference()).slice(0, 15).map((e) => e.seq),
    );
    // Past the end: an empty page and no next one.
    const last = (await reference()).at(-1) as Ev;
    const end = await s.api('GET', `/api/sessions/${turn.sessionId}?after=${last.seq}`);
    assert.deepEqual(end.body, { events: [], nextAfter: null });
  });

  test('a conversation without turns: {session: null, events: []}, nothing to page', async () => {
    const c = await s.api('POST', '/api/conversations', { agentId: 'demo' });
    const r = await s.api('GET', `/api/conversations/${c.body.conversation.id}/sessions/latest?limit=5`);
    assert.deepEqual(r.body, { session: null, events: [] });
  });

  test('malformed paging parameters are a 400', async () => {
    for (const q of [
      'maxBytes=1',
      'maxBytes=99999999999',
      'limit=0',
      'limit=5001',
      'limit=abc',
      'after=-1',
      'after=1e3',
    ]) {
      assertError(await s.api('GET', `/api/sessions/${turn.sessionId}?${q}`), 400, 'invalid_request');
    }
  });

  test('the WebSocket catch-up of the same turn delivers every event once, in order', async () => {
    const c = stream(s, turn.conversationId, 0);
    try {
      const want = await storedEvents(s, turn.conversationId, 0, 5000);
      await c.until(() => c.lastSeq >= (want.at(-1) as Ev).seq, 60_000, 'the whole catch-up');
      assertStrictlyIncreasing(c.events);
      assert.deepEqual(
        c.events.map((e) => e.seq),
        want.map((e) => e.seq),
      );
    } finally {
      await c.close();
    }
  });
});
