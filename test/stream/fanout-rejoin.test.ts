import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { useServer } from '../helpers/server.ts';
import type { Client, Ev } from './helpers.ts';
import * as h from './helpers.ts';

// DESIGN point 2 (one shared reader per conversation, feed.ts): 100 subscribers of one conversation
// during a long turn; a random subset drops mid-stream and comes back, some with their last seq (back
// into the shared ring at once), some from an older cursor (page reads from the store, then the ring).
// Every one of them ends with exactly the stored sequence: nothing missing, nothing twice, in order.

const s = useServer();

interface Plan {
  /** Drop after this many events of the current connection (0: never drop). */
  dropAfter: number;
  /** Where to come back from: the last seq received, or this many events before it. */
  rewind: number;
  offlineMs: number;
  via: 'stream' | 'ws';
}

function connect(via: Plan['via'], conversationId: string, after: number): Client {
  if (via === 'stream') return h.stream(s, conversationId, after);
  const c = h.mux(s);
  c.opened.then(
    () => c.send({ op: 'subscribe', stream: 'conversation', conversationId, after }),
    () => undefined,
  );
  return c;
}

/** Follows until the turn ends, with at most one drop; returns the sequence as a client keeps it (by seq). */
async function follow(id: string, start: number, sessionId: string, plan: Plan): Promise<Ev[]> {
  const kept: Ev[] = [];
  const keep = (evs: Ev[]) => {
    for (const e of evs) {
      // A rewound client sees again what it had: it applies by seq and keeps the first copy.
      if (kept.length && e.seq <= kept[kept.length - 1].seq) {
        assert.deepEqual(
          e,
          kept.find((k) => k.seq === e.seq),
          'a repeated seq is the same event',
        );
        continue;
      }
      kept.push(e);
    }
  };
  const done = (c: Client) => c.events.some((e) => h.isFinish(e, sessionId));
  const first = connect(plan.via, id, start);
  await first.opened;
  if (plan.dropAfter > 0) {
    await first.until(() => first.events.length >= plan.dropAfter || done(first), 60_000, 'frames');
    first.ws.terminate();
    await first.closed;
    keep(first.events);
    if (kept.some((e) => h.isFinish(e, sessionId))) return kept;
    await h.sleep(plan.offlineMs);
    const last = kept.length ? kept[kept.length - 1].seq : start;
    const from = plan.rewind > 0 ? (kept[Math.max(0, kept.length - plan.rewind)]?.seq ?? start) - 1 : last;
    const second = connect(plan.via === 'ws' ? 'stream' : 'ws', id, Math.max(start, from));
    await second.opened;
    await second.until(() => done(second), 60_000, 'the end of the turn');
    keep(second.events);
    await second.close();
    return kept;
  }
  await first.until(() => done(first), 60_000, 'the end of the turn');
  keep(first.events);
  await first.close();
  return kept;
}

test('100 subscribers, a random subset dropping and rejoining mid-stream: each ends with the stored sequence', async () => {
  const id = await h.newConversation(s);
  const start = (await h.storedEvents(s, id)).at(-1)?.seq ?? 0;
  const planArb: fc.Arbitrary<Plan> = fc.record({
    dropAfter: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 150 })),
    rewind: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 120 })),
    offlineMs: fc.integer({ min: 0, max: 400 }),
    via: fc.constantFrom('stream' as const, 'ws' as const),
  });
  // Seeded: the same 100 schedules every run, so a failure can be replayed.
  const plans = fc.sample(planArb, { numRuns: 100, seed: 16 });
  assert.ok(plans.filter((p) => p.dropAfter > 0).length >= 20, 'a good share of the clients drop');

  const sessionId = await h.sendMessage(s, id, 'Stream to everyone /long');
  const results = await Promise.all(plans.map((p) => follow(id, start, sessionId, p)));
  assert.equal((await h.sessionFinished(s, sessionId)).status, 'completed');

  const stored = await h.storedEvents(s, id, start);
  const expected = stored.slice(0, stored.findIndex((e) => h.isFinish(e, sessionId)) + 1);
  assert.ok(expected.filter((e) => e.type === 'text_delta').length >= 150);
  const upToEnd = (evs: Ev[]) => evs.slice(0, evs.findIndex((e) => h.isFinish(e, sessionId)) + 1);
  for (const [i, got] of results.entries()) {
    assert.deepEqual(upToEnd(got), expected, `client ${i} (${JSON.stringify(plans[i])})`);
  }
});
