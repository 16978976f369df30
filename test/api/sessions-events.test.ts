import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LIFECYCLE_TYPES } from '../../src/domain/events.ts';
import { assertError } from '../helpers/api-assert.ts';
import { useInProcess } from '../helpers/in-process.ts';
import { type SeededConversation, seedFinishedSessions } from '../helpers/seed-store.ts';

// CONTRACT section 3: sessions (list by status, latest, by id, retry) and the event log after a cursor.
// Finished sessions are seeded through the store before the server starts: the runner never touches
// them, so their lists are exact whatever the agents area does with new sessions.

let filters: SeededConversation;
let retries: SeededConversation;
let answered: SeededConversation;

const s = useInProcess({
  prepare: async ({ dataDir, rootDir }) => {
    filters = await seedFinishedSessions(dataDir, {
      cwd: rootDir,
      statuses: ['completed', 'error', 'cancelled', 'interrupted', 'completed'],
    });
    retries = await seedFinishedSessions(dataDir, {
      cwd: rootDir,
      statuses: ['error', 'completed', 'interrupted'],
    });
    answered = await seedFinishedSessions(dataDir, {
      cwd: rootDir,
      statuses: ['completed'],
      answer: 'zebra crossing',
    });
  },
});

const ids = (list: Array<{ id: string }>) => list.map((x) => x.id);

describe('sessions of a conversation', () => {
  test('all of them, newest first', async () => {
    const r = await s.api('GET', `/api/conversations/${filters.conversation.id}/sessions`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(ids(r.body.sessions), ids(filters.sessions).reverse());
  });

  test('?status=S gives exactly the sessions in S, newest first', async () => {
    const cid = filters.conversation.id;
    for (const status of ['pending', 'processing', 'completed', 'error', 'cancelled', 'interrupted']) {
      const r = await s.api('GET', `/api/conversations/${cid}/sessions?status=${status}`);
      assert.equal(r.status, 200, r.text);
      const want = filters.sessions.filter((x) => x.status === status).reverse();
      assert.deepEqual(ids(r.body.sessions), ids(want), status);
      for (const x of r.body.sessions) assert.equal(x.status, status);
    }
  });

  test('an unknown status is a 400; an unknown conversation a 404', async () => {
    assertError(
      await s.api('GET', `/api/conversations/${filters.conversation.id}/sessions?status=done`),
      400,
    );
    assertError(await s.api('GET', '/api/conversations/conv_nope/sessions'), 404);
    assertError(await s.api('GET', '/api/conversations/conv_nope/sessions?status=pending'), 404);
  });
});

describe('latest session and session by id', () => {
  test('latest: the newest session with its own events', async () => {
    const r = await s.api('GET', `/api/conversations/${filters.conversation.id}/sessions/latest`);
    assert.equal(r.status, 200, r.text);
    const last = filters.sessions[filters.sessions.length - 1];
    assert.deepEqual(r.body.session, last);
    const types = r.body.events.map((e: { type: string }) => e.type);
    assert.deepEqual(types, ['message_created', 'session_created', 'session_updated']);
    for (const e of r.body.events) assert.equal(e.sessionId, last.id);
  });

  test('latest of a conversation without messages: {session: null, events: []}', async () => {
    const c = await s.api('POST', '/api/conversations', { agentId: 'demo' });
    const r = await s.api('GET', `/api/conversations/${c.body.conversation.id}/sessions/latest`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { session: null, events: [] });
  });

  test('latest of an unknown conversation is a 404', async () => {
    assertError(await s.api('GET', '/api/conversations/conv_nope/sessions/latest'), 404);
  });

  test('GET /api/sessions/{id}: the session and its events; unknown is a 404', async () => {
    const err = filters.sessions[1];
    const r = await s.api('GET', `/api/sessions/${err.id}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.session, err);
    assert.equal(r.body.session.error, 'seeded failure');
    const updated = r.body.events.find((e: { type: string }) => e.type === 'session_updated');
    assert.equal(updated.status, 'error');
    assert.equal(updated.error, 'seeded failure');
    assertError(await s.api('GET', '/api/sessions/sess_nope'), 404, 'not_found');
  });
});

describe('retry', () => {
  test('a failed session gets a new, visible session for the same message; a keyed retry replays', async () => {
    const failed = retries.sessions[0];
    const r = await s.api('POST', `/api/sessions/${failed.id}/retry`, {}, { 'idempotency-key': 'retry-1' });
    assert.equal(r.status, 201, r.text);
    const fresh = r.body.session;
    assert.notEqual(fresh.id, failed.id);
    assert.equal(fresh.messageId, failed.messageId);
    assert.equal(fresh.retryOf, failed.id);
    assert.equal(fresh.status, 'pending');
    const again = await s.api('POST', `/api/sessions/${failed.id}/retry`, { idempotencyKey: 'retry-1' });
    assert.equal(again.status, 201);
    assert.equal(again.text, r.text, 'replayed byte for byte');
    const all = await s.api('GET', `/api/conversations/${retries.conversation.id}/sessions`);
    assert.equal(
      all.body.sessions.filter((x: { retryOf: string | null }) => x.retryOf === failed.id).length,
      1,
    );
    // The old one is unchanged: an agent turn is never re-run silently.
    assert.deepEqual((await s.api('GET', `/api/sessions/${failed.id}`)).body.session, failed);
  });

  test('an interrupted session can be retried; a completed one is a 409; unknown a 404', async () => {
    const [, completed, interrupted] = retries.sessions;
    const ok = await s.api('POST', `/api/sessions/${interrupted.id}/retry`);
    assert.equal(ok.status, 201, ok.text);
    assertError(await s.api('POST', `/api/sessions/${completed.id}/retry`), 409, 'not_retryable');
    assertError(await s.api('POST', '/api/sessions/sess_nope/retry'), 404);
    assertError(await s.api('POST', `/api/sessions/${interrupted.id}/retry`, { extra: 1 }), 400);
  });
});

describe('events after a cursor', () => {
  test("a conversation's events in seq order, each once, with lastSeq", async () => {
    const cid = filters.conversation.id;
    const r = await s.api('GET', `/api/conversations/${cid}/events?after=0`);
    assert.equal(r.status, 200, r.text);
    const events = r.body.events as Array<{ seq: number; type: string; conversationId: string }>;
    // 1 conversation_created + 5 × (message_created, session_created, session_updated)
    assert.equal(events.length, 16);
    assert.equal(events[0].type, 'conversation_created');
    for (const e of events) assert.equal(e.conversationId, cid);
    for (let i = 1; i < events.length; i++)
      assert.ok(events[i].seq > events[i - 1].seq, 'strictly increasing');
    assert.equal(r.body.lastSeq, events[events.length - 1].seq);

    // Every suffix: after=N gives exactly the events with seq > N.
    for (const cut of [0, 3, 7, 15]) {
      const part = await s.api('GET', `/api/conversations/${cid}/events?after=${events[cut].seq}`);
      assert.deepEqual(part.body.events, r.body.events.slice(cut + 1));
      assert.equal(part.body.lastSeq, r.body.lastSeq);
    }
    const limited = await s.api('GET', `/api/conversations/${cid}/events?after=0&limit=4`);
    assert.deepEqual(limited.body.events, r.body.events.slice(0, 4));
    assert.equal(limited.body.lastSeq, r.body.lastSeq, 'lastSeq tells a paging client there is more');
  });

  test('seq is one sequence for the whole log: conversations interleave without sharing numbers', async () => {
    const a = (await s.api('GET', `/api/conversations/${filters.conversation.id}/events`)).body.events;
    const b = (await s.api('GET', `/api/conversations/${retries.conversation.id}/events`)).body.events;
    const seqs = new Set([...a, ...b].map((e: { seq: number }) => e.seq));
    assert.equal(seqs.size, a.length + b.length);
  });

  test('bad cursors are 400s; an unknown conversation is a 404', async () => {
    const cid = filters.conversation.id;
    for (const q of ['after=-1', 'after=abc', 'after=1.5', 'limit=0', 'limit=10001', 'limit=x']) {
      assertError(await s.api('GET', `/api/conversations/${cid}/events?${q}`), 400);
    }
    assertError(await s.api('GET', '/api/conversations/conv_nope/events?after=0'), 404);
  });

  test('GET /api/events: lifecycle events of all conversations after a cursor, with the global lastSeq', async () => {
    const all = await s.api('GET', '/api/events?after=0&limit=10000');
    assert.equal(all.status, 200);
    const lifecycle = new Set<string>(LIFECYCLE_TYPES);
    const events = all.body.events as Array<{ seq: number; type: string; conversationId: string }>;
    for (const e of events) assert.ok(lifecycle.has(e.type), `${e.type} is a lifecycle event`);
    for (let i = 1; i < events.length; i++) assert.ok(events[i].seq > events[i - 1].seq);
    const convs = new Set(events.map((e) => e.conversationId));
    assert.ok(convs.has(filters.conversation.id) && convs.has(retries.conversation.id));
    assert.ok(all.body.lastSeq >= events[events.length - 1].seq);
    const mid = events[5].seq;
    const rest = await s.api('GET', `/api/events?after=${mid}&limit=10000`);
    assert.deepEqual(
      rest.body.events.slice(0, events.length - 6),
      events.slice(6),
      'after=N continues exactly where the first read was',
    );
    assertError(await s.api('GET', '/api/events?after=-5'), 400);
  });
});

describe('search', () => {
  test('?q= looks at the text of answers, not at their JSON', async () => {
    const ids = async (q: string) =>
      (
        (await s.api('GET', `/api/conversations?q=${encodeURIComponent(q)}`)).body.conversations as Array<{
          id: string;
        }>
      ).map((c) => c.id);
    assert.ok((await ids('zebra')).includes(answered.conversation.id), 'found by the words of the answer');
    // Regression: the stored JSON matched, so every answered conversation came back for these.
    for (const q of ['blocks', '"text"', '{', 'type']) {
      assert.ok(!(await ids(q)).includes(answered.conversation.id), `"${q}" is JSON syntax, not text`);
    }
  });
});
