import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useServer } from '../helpers/server.ts';
import type { Client, Ev } from './helpers.ts';
import * as h from './helpers.ts';

// Issue 4 "Must show" (e): 100 concurrent subscribers of one conversation, during a long streamed
// turn, all receive the same sequence, and it is the stored log.

const s = useServer();

test('100 concurrent subscribers (/stream and /ws) all receive the stored sequence', async () => {
  const id = await h.newConversation(s);
  const clients: Client[] = [];
  for (let i = 0; i < 100; i++) {
    if (i % 4 === 3) {
      const c = h.mux(s);
      c.opened.then(() => c.send({ op: 'subscribe', stream: 'conversation', conversationId: id, after: 0 }));
      clients.push(c);
    } else {
      clients.push(h.stream(s, id, 0));
    }
  }
  await Promise.all(clients.map((c) => c.opened));
  const sessionId = await h.sendMessage(s, id, 'Stream to everyone /long');
  await Promise.all(clients.map((c) => c.untilFinished(sessionId, 60_000)));
  assert.equal((await h.sessionFinished(s, sessionId)).status, 'completed');

  const stored = await h.storedEvents(s, id);
  const expected = stored.slice(0, stored.findIndex((e) => h.isFinish(e, sessionId)) + 1);
  assert.ok(expected.filter((e) => e.type === 'text_delta').length >= 150);
  const upToEnd = (evs: Ev[]) => evs.slice(0, evs.findIndex((e) => h.isFinish(e, sessionId)) + 1);
  for (const [i, c] of clients.entries()) assert.deepEqual(upToEnd(c.events), expected, `client ${i}`);
  await Promise.all(clients.map((c) => c.close()));
});
