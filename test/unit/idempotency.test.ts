import assert from 'node:assert/strict';
import { deepEqual as looseDeepEqual } from 'node:assert';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createConversation } from '../../src/commands/conversations.ts';
import { canonicalJson, fingerprint, type Reply, idempotent } from '../../src/commands/idempotency.ts';
import { sendMessage } from '../../src/commands/messages.ts';
import { AppError } from '../../src/domain/errors.ts';
import { openTempSqliteStore } from '../helpers/temp-store.ts';

// Property tests of CONTRACT section 4's machinery: the payload fingerprint, and replay/422 behaviour
// of `idempotent` through the real SQLite store under random interleavings of concurrent sends.

/** The same JSON value with every object's keys in a random order (a client's serializer may differ). */
function shuffleKeys(v: unknown, rnd: () => number): unknown {
  if (Array.isArray(v)) return v.map((x) => shuffleKeys(x, rnd));
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [entries[i], entries[j]] = [entries[j], entries[i]];
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of entries)
      Object.defineProperty(out, k, {
        value: shuffleKeys(x, rnd),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  return v;
}

describe('canonicalJson and fingerprint', () => {
  test('key order does not matter', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer(), (v, seed) => {
        let x = seed;
        const rnd = () => {
          x = (x * 1103515245 + 12345) & 0x7fffffff;
          return x / 0x80000000;
        };
        const shuffled = shuffleKeys(v, rnd);
        assert.equal(canonicalJson(shuffled), canonicalJson(v));
        assert.equal(fingerprint(shuffled), fingerprint(v));
      }),
    );
  });

  test('it is lossless JSON: different values never share a fingerprint input', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const c = canonicalJson(v);
        // Loose equality only because JSON has no -0.
        looseDeepEqual(JSON.parse(c), v);
        assert.equal(canonicalJson(JSON.parse(c)), c);
      }),
    );
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        fc.pre(canonicalJson(a) !== canonicalJson(b));
        assert.notEqual(fingerprint(a), fingerprint(b));
      }),
    );
  });

  test('absent and undefined fields are the same payload; null is not', () => {
    assert.equal(fingerprint({ content: 'x', agentId: undefined }), fingerprint({ content: 'x' }));
    assert.notEqual(fingerprint({ content: 'x', agentId: null }), fingerprint({ content: 'x' }));
  });
});

interface Attempt {
  key: string | null;
  content: string;
  /** Aimed at a conversation that does not exist: a 404 inside the batch, which must not burn the key. */
  missing: boolean;
  /** Yield to the event loop before sending, so attempts fall into different commit batches. */
  gap: boolean;
}

const attempt: fc.Arbitrary<Attempt> = fc.record({
  key: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: null, freq: 4 }),
  content: fc.constantFrom('x', 'y'),
  missing: fc.nat(5).map((n) => n === 0),
  gap: fc.boolean(),
});

describe('idempotent() through the SQLite store', () => {
  test('random interleavings: one effect per key, replays byte for byte, other payloads get 422', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(attempt, { minLength: 1, maxLength: 30 }), async (attempts) => {
        const store = openTempSqliteStore('gmgui-idem-');
        try {
          const conv = await store.transaction((tx) =>
            createConversation(tx, { agentId: 'demo', cwd: '/w' }),
          );
          // All attempts are in flight together; `gap` spreads them over several batches.
          let queued = 0;
          const outcomes = await Promise.all(
            attempts.map(async (a, i) => {
              if (a.gap) for (let g = 0; g < i % 3; g++) await new Promise((r) => setImmediate(r));
              const cid = a.missing ? 'conv_missing' : conv.id;
              const payload = { content: a.content };
              const idem = a.key
                ? {
                    scope: `messages:${cid}`,
                    key: a.key,
                    fingerprint: fingerprint(payload),
                    expiredBefore: 0,
                  }
                : null;
              const order = queued++;
              try {
                const r = await store.transaction((tx) =>
                  idempotent(tx, idem, async () => ({
                    status: 201,
                    body: await sendMessage(tx, cid, payload),
                  })),
                );
                return { a, r, order };
              } catch (e) {
                assert.ok(e instanceof AppError, String(e));
                return { a, e, order };
              }
            }),
          );

          // The store commits in the order transactions were queued; replay the rules in that order.
          const first = new Map<string, { content: string; reply: Reply }>();
          let effects = 0;
          const committed = outcomes.filter((o) => o.r && !o.r.replayed);
          outcomes.sort((x, y) => x.order - y.order);
          for (const o of outcomes) {
            if (o.a.missing) {
              assert.equal(o.e?.status, 404, 'unknown conversation');
              continue;
            }
            if (o.a.key === null) {
              assert.equal(o.r?.replayed, false);
              effects++;
              continue;
            }
            const seen = first.get(o.a.key);
            if (o.r && !o.r.replayed) {
              assert.equal(seen, undefined, `key ${o.a.key} had two effects`);
              first.set(o.a.key, { content: o.a.content, reply: o.r });
              effects++;
            } else if (o.r) {
              assert.ok(seen, 'a replay of a key that was never used');
              assert.equal(seen.content, o.a.content, 'replayed for another payload');
              assert.equal(o.r.body, seen.reply.body, 'byte for byte');
              assert.equal(o.r.status, seen.reply.status);
            } else {
              assert.equal(o.e?.status, 422);
              assert.ok(
                seen && seen.content !== o.a.content,
                '422 only for a different payload of a used key',
              );
            }
          }
          // Exactly the effects the rules allow, and each stored once.
          const messages = await store.listMessages(conv.id);
          assert.equal(messages.length, effects);
          assert.equal(committed.length, effects);
          assert.equal((await store.listSessions(conv.id)).length, effects);
          const stored = new Set(messages.map((m) => m.id));
          for (const o of committed) assert.ok(stored.has(JSON.parse(o.r!.body).message.id));
          assert.deepEqual(await store.listMessages('conv_missing'), []);
        } finally {
          await store.close();
        }
      }),
      { numRuns: 40 },
    );
  });

  test('an expired record is treated as absent and replaced', async () => {
    const store = openTempSqliteStore('gmgui-idem-');
    try {
      const conv = await store.transaction((tx) => createConversation(tx, { agentId: 'demo', cwd: '/w' }));
      const run = (content: string, expiredBefore: number) =>
        store.transaction((tx) =>
          idempotent(
            tx,
            { scope: 's', key: 'k', fingerprint: fingerprint({ content }), expiredBefore },
            async () => ({ status: 201, body: await sendMessage(tx, conv.id, { content }) }),
          ),
        );
      const a = await run('one', 0);
      assert.equal((await run('one', 0)).body, a.body);
      await assert.rejects(run('two', 0), (e: unknown) => e instanceof AppError && e.status === 422);
      // Everything before "now + 1" is expired: the key is free again, for any payload.
      const b = await run('two', Date.now() + 1);
      assert.equal(b.replayed, false);
      assert.notEqual(b.body, a.body);
      assert.equal((await run('two', 0)).body, b.body);
      assert.equal((await store.listMessages(conv.id)).length, 2);
    } finally {
      await store.close();
    }
  });
});
