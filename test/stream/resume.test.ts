import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DEMO_ANSWER_TYPES } from '../helpers/demo.ts';
import { useServer } from '../helpers/server.ts';
import type { Client, Ev } from './helpers.ts';
import * as h from './helpers.ts';

// CONTRACT section 5, issue 4 "Must show" (a) and (b): a client that drops and reconnects with its
// last seq ends up with exactly the stored log, nothing missing, nothing twice, whatever the moments
// of the drops; several clients of one conversation end with identical sequences.

const s = useServer();

type Via = 'stream' | 'ws';
interface Drop {
  /** Drop after this many events on the current connection, or after this many ms. */
  at: { frames: number } | { ms: number };
  how: 'close' | 'terminate';
  /** Offline this long before reconnecting. */
  offlineMs: number;
  /** The endpoint of the next connection. */
  via: Via;
}

const dropArb: fc.Arbitrary<Drop> = fc.record({
  at: fc.oneof(
    fc.record({ frames: fc.integer({ min: 1, max: 60 }) }),
    fc.record({ ms: fc.integer({ min: 0, max: 700 }) }),
  ),
  how: fc.constantFrom('close' as const, 'terminate' as const),
  offlineMs: fc.integer({ min: 0, max: 300 }),
  via: fc.constantFrom('stream' as const, 'ws' as const),
});
const followerArb = fc.record({
  first: fc.constantFrom('stream' as const, 'ws' as const),
  drops: fc.array(dropArb, { maxLength: 6 }),
});

function connect(via: Via, conversationId: string, afterSeq: number): Client {
  if (via === 'stream') return h.stream(s, conversationId, afterSeq);
  const c = h.mux(s);
  c.opened.then(
    () => c.send({ op: 'subscribe', stream: 'conversation', conversationId, after: afterSeq }),
    () => undefined,
  );
  return c;
}

/**
 * Follows a conversation from `start` until `sessionId` finishes, dropping the connection as the schedule
 * says and resuming each time from the last seq it received. Returns everything it received, in order.
 */
async function follow(
  conversationId: string,
  start: number,
  sessionId: string,
  plan: { first: Via; drops: Drop[] },
): Promise<Ev[]> {
  const got: Ev[] = [];
  const finished = () => got.some((e) => h.isFinish(e, sessionId));
  let via = plan.first;
  for (const drop of [...plan.drops, null]) {
    const from = got.length ? got[got.length - 1].seq : start;
    const c = connect(via, conversationId, from);
    const onConnection = () => c.events.length;
    const collect = () => got.push(...c.events.splice(0));
    try {
      await c.opened;
      if (drop === null) {
        await c.until(() => c.events.some((e) => h.isFinish(e, sessionId)), 30_000, 'the end of the turn');
      } else if ('frames' in drop.at) {
        const n = drop.at.frames;
        await c.until(
          () => onConnection() >= n || c.events.some((e) => h.isFinish(e, sessionId)),
          30_000,
          `${n} frames`,
        );
      } else {
        await h.sleep(drop.at.ms);
      }
    } finally {
      collect();
      if (drop?.how === 'terminate') c.ws.terminate();
      else c.ws.close();
      await c.closed;
      collect();
    }
    if (finished() || drop === null) break;
    await h.sleep(drop.offlineMs);
    via = drop.via;
  }
  return got;
}

async function assistantText(conversationId: string, sessionId: string): Promise<string> {
  const r = await s.api('GET', `/api/conversations/${conversationId}/messages`);
  const m = r.body.messages.find(
    (x: { role: string; sessionId: string }) => x.role === 'assistant' && x.sessionId === sessionId,
  );
  assert.ok(m, 'the assistant message exists');
  return typeof m.content === 'string' ? m.content : m.content.text;
}

describe('resume after disconnects', () => {
  test('property: random disconnect schedules during a long turn; every client ends with exactly the stored log', async () => {
    const conversationId = await h.newConversation(s);
    const followers = Number(process.env.STREAM_FOLLOWERS ?? 12);
    const seed = Number(process.env.FC_SEED ?? 4242);
    await fc.assert(
      fc.asyncProperty(
        fc.array(followerArb, { minLength: followers, maxLength: followers }),
        async (plans) => {
          const start = (await s.api('GET', `/api/conversations/${conversationId}/events?limit=1`)).body
            .lastSeq as number;
          const sessionId = await h.sendMessage(s, conversationId, 'Tell me something /long');
          // Every follower runs its own schedule against the same live turn, at the same time.
          const results = await Promise.all(plans.map((p) => follow(conversationId, start, sessionId, p)));
          const session = await h.sessionFinished(s, sessionId);
          assert.equal(session.status, 'completed');
          const stored = await h.storedEvents(s, conversationId, start);
          const end = stored.findIndex((e) => h.isFinish(e, sessionId));
          assert.ok(end > 0, 'the log has the end of the turn');
          const expected = stored.slice(0, end + 1);
          assert.ok(expected.filter((e) => e.type === 'text_delta').length >= 150, 'a long turn streamed');
          for (const [i, got] of results.entries()) {
            h.assertStrictlyIncreasing(got, `follower ${i}`);
            assert.deepEqual(
              h.seqs(got),
              h.seqs(expected),
              `follower ${i} (${JSON.stringify(plans[i])}) has the stored seqs`,
            );
            assert.deepEqual(got, expected, `follower ${i} has the stored events`);
          }
          const text = h.textOf(expected, sessionId);
          assert.equal(text, (session.response as { text: string }).text);
          assert.equal(text, await assistantText(conversationId, sessionId));
        },
      ),
      { numRuns: Number(process.env.STREAM_RUNS ?? 3), seed, endOnFailure: true },
    );
  });

  test('three clients on one conversation, one dropping twice and resuming: identical sequences', async () => {
    const conversationId = await h.newConversation(s);
    const a = h.stream(s, conversationId, 0);
    const b = h.mux(s);
    await Promise.all([a.opened, b.opened]);
    b.send({ op: 'subscribe', stream: 'conversation', conversationId, after: 0, id: 'b1' });
    let c = h.stream(s, conversationId, 0);
    await c.opened;
    const cGot: Ev[] = [];

    // A normal prompt: thoughts, plan, tool calls, then a permission request that waits for a person.
    const sessionId = await h.sendMessage(s, conversationId, 'Please improve the notes');
    await c.until(() => c.events.some((e) => e.type === 'tool_call'), 20_000, 'a tool call');
    cGot.push(...c.events.splice(0));
    await c.terminate();
    cGot.push(...c.events.splice(0));

    await a.until(
      () => a.events.some((e) => e.type === 'permission_requested'),
      20_000,
      'the permission request',
    );
    const request = a.events.find((e) => e.type === 'permission_requested') as Ev;
    c = h.stream(s, conversationId, cGot[cGot.length - 1].seq);
    await c.until(
      () => c.events.some((e) => e.type === 'permission_requested'),
      20_000,
      'the permission request (c)',
    );
    cGot.push(...c.events.splice(0));
    await c.close();
    cGot.push(...c.events.splice(0));

    const answer = await h.answerPermission(s, request, 'allow_once');
    assert.equal(answer.status, 200, answer.text);
    await h.sleep(150);
    c = h.stream(s, conversationId, cGot[cGot.length - 1].seq);
    await Promise.all([a.untilFinished(sessionId), b.untilFinished(sessionId), c.untilFinished(sessionId)]);
    cGot.push(...c.events.splice(0));

    const stored = await h.storedEvents(s, conversationId);
    const end = stored.findIndex((e) => h.isFinish(e, sessionId));
    const expected = stored.slice(0, end + 1);
    const upToEnd = (evs: Ev[]) => evs.slice(0, evs.findIndex((e) => h.isFinish(e, sessionId)) + 1);
    for (const [name, got] of [
      ['a', upToEnd(a.events)],
      ['b', upToEnd(b.events)],
      ['c', upToEnd(cGot)],
    ] as const) {
      h.assertStrictlyIncreasing(got, name);
      assert.deepEqual(got, expected, `client ${name} has exactly the stored log`);
    }
    const types = new Set(expected.map((e) => e.type));
    for (const t of DEMO_ANSWER_TYPES) {
      assert.ok(types.has(t), `the turn had a ${t}`);
    }
    assert.deepEqual(b.control[0], {
      op: 'subscribed',
      stream: 'conversation',
      conversationId,
      after: 0,
      id: 'b1',
    });
    await Promise.all([a.close(), b.close(), c.close()]);
  });
});
