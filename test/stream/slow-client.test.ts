import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { useServer } from '../helpers/server.ts';
import {
  type Ev,
  isFinish,
  mux,
  newConversation,
  sendMessage,
  sessionFinished,
  sleep,
  stampOf,
  storedEvents,
  stream,
  STAMP,
} from './helpers.ts';

// Issue 4 "Must show" (c): a client that stops reading for seconds does not delay the agent or the
// other clients. The stamp fixture agent floods several MB, far more than the kernel buffers of the
// stalled socket hold, so the server has to pause that client instead of buffering for it.
// Only non-timing facts are asserted; the latencies are printed (the bench measures them properly).

const s = useServer({ env: { LOG_LEVEL: 'debug', ...withAgentsFile([STAMP]) } });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

test('a stalled reader is paused and caught up later; the fast clients and the agent never wait for it', async (t) => {
  const id = await newConversation(s, 'stamp');
  const fastA = stream(s, id, 0);
  const fastB = mux(s);
  const slow = stream(s, id, 0);
  await Promise.all([fastA.opened, fastB.opened, slow.opened]);
  fastB.send({ op: 'subscribe', stream: 'conversation', conversationId: id, after: 0 });
  const arrivals = new Map<number, number>();
  fastA.ws.on('message', (d) => {
    const text = String(d);
    const stamp = stampOf(/"text":"(<t:[^"]*?>)/.exec(text)?.[1] ?? '');
    if (stamp !== null) arrivals.set(arrivals.size, performance.timeOrigin + performance.now() - stamp);
  });

  slow.tcp().pause();
  const stalledAt = Date.now();
  const chunks = 1500;
  const sessionId = await sendMessage(s, id, `stamp chunks=${chunks} size=4096 interval=0`);

  await Promise.all([fastA.untilFinished(sessionId, 60_000), fastB.untilFinished(sessionId, 60_000)]);
  const session = await sessionFinished(s, sessionId, 30_000, id);
  assert.equal(session.status, 'completed', 'the agent finished its turn while a client was stalled');
  const slowBeforeResume = slow.events.length;
  assert.ok(
    !slow.events.some((e) => isFinish(e, sessionId)),
    `the stalled client was behind (${slowBeforeResume} events) while the others had everything`,
  );

  // Stalled for seconds, then it reads again: it is caught up from the store, nothing lost or doubled.
  const stalledFor = Date.now() - stalledAt;
  if (stalledFor < 2_000) await sleep(2_000 - stalledFor);
  slow.tcp().resume();
  await slow.untilFinished(sessionId, 60_000);

  const stored = await storedEvents(s, id);
  const end = stored.findIndex((e) => isFinish(e, sessionId));
  const expected = stored.slice(0, end + 1);
  const upToEnd = (evs: Ev[]) => evs.slice(0, evs.findIndex((e) => isFinish(e, sessionId)) + 1);
  assert.deepEqual(upToEnd(fastA.events), expected, 'fast client A has the log');
  assert.deepEqual(upToEnd(fastB.events), expected, 'fast client B has the log');
  assert.deepEqual(upToEnd(slow.events), expected, 'the stalled client has the log once it reads again');
  assert.equal(expected.filter((e) => e.type === 'text_delta').length, chunks);
  assert.match(s.output(), /websocket client paused: slow reader/, 'the server paused the stalled client');

  const lat = [...arrivals.values()].sort((a, b) => a - b);
  t.diagnostic(
    `fast client latency while another stalled (flood, ${chunks}×4 KiB): p50 ${percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms; stalled client had ${slowBeforeResume} events at the end of the turn`,
  );
  await Promise.all([fastA.close(), fastB.close(), slow.close()]);
});
