import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useServer } from '../helpers/server.ts';
import {
  assertStrictlyIncreasing,
  type Ev,
  isFinish,
  newConversation,
  sendMessage,
  seqs,
  sessionFinished,
  storedEvents,
  stream,
} from './helpers.ts';

// The REST catch-up routes over a real streamed turn, and their seam with the WebSocket: a page loaded
// over HTTP mid-answer, then /stream from the cursor it gave, is the whole log with nothing twice.

const s = useServer();

test('mid-answer: REST page(s) then /stream from their cursor = the whole log, once; the routes agree', async () => {
  const id = await newConversation(s);
  const sessionId = await sendMessage(s, id, 'A long answer please /long');
  const live = stream(s, id, 0);
  await live.until(
    () => live.events.filter((e) => e.type === 'text_delta').length >= 30,
    20_000,
    'streaming',
  );

  // What a reloading tab does: catch up over HTTP in small pages, then subscribe from where it got to.
  const paged: Ev[] = [];
  let cursor = 0;
  for (;;) {
    const r = await s.api('GET', `/api/conversations/${id}/events?after=${cursor}&limit=7`);
    assert.equal(r.status, 200);
    const page = r.body.events as Ev[];
    assert.ok(page.length <= 7);
    for (const e of page) assert.ok(e.seq <= r.body.lastSeq, 'lastSeq is at least every seq it returns');
    paged.push(...page);
    if (page.length < 7) break;
    cursor = page[page.length - 1].seq;
  }
  const ws = stream(s, id, paged[paged.length - 1].seq);
  await ws.untilFinished(sessionId);
  const union = [...paged, ...ws.events];
  assertStrictlyIncreasing(union);

  await sessionFinished(s, sessionId);
  await live.untilFinished(sessionId);
  const stored = await storedEvents(s, id);
  const end = stored.findIndex((e) => isFinish(e, sessionId));
  assert.deepEqual(union.slice(0, end + 1), stored.slice(0, end + 1));
  assert.deepEqual(live.events.slice(0, end + 1), stored.slice(0, end + 1));
  const last = await s.api('GET', `/api/conversations/${id}/events?after=${stored[stored.length - 1].seq}`);
  assert.deepEqual(last.body, { events: [], lastSeq: stored[stored.length - 1].seq });

  // GET /api/sessions/{id}: the session and exactly its events; /sessions/latest: the newest one, same events.
  const one = await s.api('GET', `/api/sessions/${sessionId}`);
  assert.equal(one.status, 200);
  assert.equal(one.body.session.status, 'completed');
  assert.deepEqual(seqs(one.body.events), seqs(stored.filter((e) => e.sessionId === sessionId)));
  const latest = await s.api('GET', `/api/conversations/${id}/sessions/latest`);
  assert.equal(latest.body.session.id, sessionId);
  assert.deepEqual(latest.body.events, one.body.events);

  // A second turn: latest moves to it; the first one is still readable by id.
  const second = await sendMessage(s, id, '/quick');
  await sessionFinished(s, second);
  const latest2 = await s.api('GET', `/api/conversations/${id}/sessions/latest`);
  assert.equal(latest2.body.session.id, second);
  assert.ok(latest2.body.events.every((e: Ev) => e.sessionId === second));
  assert.equal((await s.api('GET', `/api/sessions/${sessionId}`)).body.events.length, one.body.events.length);
  await Promise.all([live.close(), ws.close()]);
});
