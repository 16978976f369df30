import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useServers } from '../helpers/server.ts';
import type { Ev } from './helpers.ts';
import * as h from './helpers.ts';

// Issue 4 "Must show" (d) and CONTRACT section 7: kill -9 of the server in the middle of a streamed
// answer, restart on the same data dir. The turn is `interrupted` (never re-run silently), every event
// a client was shown is still in the log, a client resumes with its cursor, and new work runs. Then the
// interrupted turn is retried: a new, visible session, idempotent with a key.

const servers = useServers();

test('kill -9 mid-stream, restart: interrupted, nothing shown is lost, resume and new messages work, retry', async () => {
  const first = await servers.start();
  const id = await h.newConversation(first);
  const c = h.stream(first, id, 0);
  const sessionId = await h.sendMessage(first, id, 'Tell me a long story /long');
  await c.until(() => c.events.filter((e) => e.type === 'text_delta').length >= 40, 20_000, '40 chunks');
  await first.kill9();
  await c.closed;
  const shown = c.events.slice();
  h.assertStrictlyIncreasing(shown);
  assert.ok(!shown.some((e) => h.isFinish(e, sessionId)), 'killed before the turn ended');

  const s = await servers.restart(first);

  // Recovery ran at start: the turn whose prompt the agent had received is interrupted, with an event.
  const got = await s.api('GET', `/api/sessions/${sessionId}`);
  assert.equal(got.status, 200);
  assert.equal(got.body.session.status, 'interrupted');
  assert.equal(typeof got.body.session.error, 'string');
  const interruptedEvent = (got.body.events as Ev[]).find(
    (e) => e.type === 'session_updated' && e.status === 'interrupted',
  );
  assert.ok(interruptedEvent, 'an event says the session was interrupted');

  // Every event the client was shown before the kill is in the log, unchanged.
  const stored = await h.storedEvents(s, id);
  const bySeq = new Map(stored.map((e) => [e.seq, e]));
  for (const e of shown) assert.deepEqual(bySeq.get(e.seq), e, `event ${e.seq} survived the kill`);
  assert.ok(h.textOf(stored, sessionId).startsWith(h.textOf(shown, sessionId)), 'the partial answer is kept');

  // The client resumes from its last seq and ends with exactly the stored log.
  const resumed = h.stream(s, id, shown[shown.length - 1].seq);
  await resumed.untilFinished(sessionId);
  const union = [...shown, ...resumed.events];
  h.assertStrictlyIncreasing(union);
  const end = stored.findIndex((e) => h.isFinish(e, sessionId));
  assert.deepEqual(union.slice(0, end + 1), stored.slice(0, end + 1));

  // A new message works on the restarted server.
  const next = await h.sendMessage(s, id, '/quick');
  assert.equal((await h.sessionFinished(s, next)).status, 'completed');
  await resumed.untilFinished(next);

  // Retry: a new visible session for the same user message; the same key replays the same response.
  const key = { 'idempotency-key': `retry-${sessionId}` };
  const r1 = await s.api('POST', `/api/sessions/${sessionId}/retry`, {}, key);
  assert.equal(r1.status, 201, r1.text);
  const r2 = await s.api('POST', `/api/sessions/${sessionId}/retry`, {}, key);
  assert.equal(r2.status, 201);
  assert.equal(r2.text, r1.text, 'the replay is the first response');
  const retried = r1.body.session;
  assert.notEqual(retried.id, sessionId);
  assert.equal(retried.retryOf, sessionId);
  assert.equal(retried.messageId, got.body.session.messageId, 'same user message');
  const done = await h.sessionFinished(s, retried.id);
  assert.equal(done.status, 'completed');
  const sessions = (await s.api('GET', `/api/conversations/${id}/sessions`)).body.sessions as Array<{
    id: string;
  }>;
  assert.equal(sessions.filter((x) => x.id === retried.id).length, 1, 'one retry session, listed');
  assert.equal(sessions.length, 3, 'interrupted + quick + one retry');
  await resumed.untilFinished(retried.id);
  const created = resumed.events.filter((e) => e.type === 'session_created' && e.sessionId === retried.id);
  assert.equal(created.length, 1, 'the retry is visible on the stream once');

  // The original stays interrupted; a completed session cannot be retried.
  assert.equal((await s.api('GET', `/api/sessions/${sessionId}`)).body.session.status, 'interrupted');
  assert.equal((await s.api('POST', `/api/sessions/${next}/retry`, {})).status, 409);
  await resumed.close();
});
