import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fingerprint, type IdempotencyRequest, idempotent } from '../../../src/commands/idempotency.ts';
import { sendMessage } from '../../../src/commands/messages.ts';
import { type Harness, rejectsWith } from './harness.ts';

// Idempotency records and the idempotent() command wrapper (CONTRACT section 4): one effect per key.

export function idempotencyCases(h: Harness): void {
  const { tx, conv } = h;
  describe('idempotency', () => {
    const idem = (
      key: string,
      payload: unknown,
      expiredBefore = Date.now() - 60_000,
    ): IdempotencyRequest => ({
      scope: 'messages:c',
      key,
      fingerprint: fingerprint(payload),
      expiredBefore,
    });
    const sendIdem = (cid: string, key: string, content: string, expiredBefore?: number) =>
      tx((t) =>
        idempotent(t, idem(key, { content }, expiredBefore), async () => {
          const r = await sendMessage(t, cid, { content });
          return { status: 201, body: { ...r, idempotencyKey: key } };
        }),
      );

    test('Tx records: get, put, delete; a second put of the same key fails', async () => {
      const _store = await h.open();
      const rec = {
        scope: 's',
        key: 'k',
        fingerprint: 'f',
        status: 201,
        body: '{"a":1}',
        created_at: 1_800_000_000_000,
      };
      await tx((t) => t.putIdempotency(rec));
      assert.deepEqual(await tx((t) => t.getIdempotency('s', 'k')), rec);
      assert.equal(await tx((t) => t.getIdempotency('s', 'other')), null);
      assert.equal(await tx((t) => t.getIdempotency('other', 'k')), null);
      await assert.rejects(tx((t) => t.putIdempotency({ ...rec, fingerprint: 'g' })));
      assert.deepEqual(await tx((t) => t.getIdempotency('s', 'k')), rec, 'never an upsert');
      await tx((t) => t.deleteIdempotency('s', 'k'));
      assert.equal(await tx((t) => t.getIdempotency('s', 'k')), null);
    });

    test('same key, same payload: the first response replayed byte for byte, one effect', async () => {
      const store = await h.open();
      const c = await conv();
      const first = await sendIdem(c.id, 'key-1', 'hi');
      assert.equal(first.replayed, false);
      assert.equal(first.status, 201);
      const seq = await store.lastSeq();
      const again = await sendIdem(c.id, 'key-1', 'hi');
      assert.equal(again.replayed, true);
      assert.equal(again.status, 201);
      assert.equal(again.body, first.body);
      assert.equal(await store.lastSeq(), seq, 'a replay appends nothing');
      assert.equal((await store.listMessages(c.id)).length, 1);
      // Key order in the payload does not matter; the key is scoped.
      const other = await tx((t) =>
        idempotent(t, { ...idem('key-1', { content: 'hi' }), scope: 'messages:other' }, async () => ({
          status: 201,
          body: { fresh: true },
        })),
      );
      assert.equal(other.replayed, false);
    });

    test('same key, different payload: 422 and nothing changed', async () => {
      const store = await h.open();
      const c = await conv();
      await sendIdem(c.id, 'key-2', 'hi');
      const seq = await store.lastSeq();
      await rejectsWith(sendIdem(c.id, 'key-2', 'something else'), 422, 'idempotency_key_reused');
      assert.equal(await store.lastSeq(), seq);
      assert.equal((await store.listMessages(c.id)).length, 1);
    });

    test('an expired key is treated as new; purgeIdempotency removes old records', async () => {
      const store = await h.open();
      const c = await conv();
      const first = await sendIdem(c.id, 'key-3', 'hi');
      await sleep(5);
      // Everything created before "now" counts as expired.
      const second = await sendIdem(c.id, 'key-3', 'hi', Date.now());
      assert.equal(second.replayed, false);
      assert.notEqual(second.body, first.body);
      assert.equal((await store.listMessages(c.id)).length, 2);
      // The record was replaced by the new one, which replays from now on.
      const third = await sendIdem(c.id, 'key-3', 'hi');
      assert.equal(third.body, second.body);
      await sendIdem(c.id, 'key-4', 'x');
      assert.equal(await store.purgeIdempotency(0), 0);
      assert.equal(await store.purgeIdempotency(Date.now() + 1), 2);
      assert.equal(await tx((t) => t.getIdempotency('messages:c', 'key-3')), null);
    });

    test('the same key sent concurrently: one effect, every caller gets the same response', async () => {
      const store = await h.open();
      const c = await conv();
      const replies = await Promise.all(Array.from({ length: 8 }, () => sendIdem(c.id, 'key-race', 'once')));
      assert.equal(new Set(replies.map((r) => r.body)).size, 1);
      assert.equal(replies.filter((r) => !r.replayed).length, 1);
      assert.equal((await store.listMessages(c.id)).length, 1);
      assert.equal((await store.listSessions(c.id)).length, 1);
      const events = await store.readEvents({ after: 0, conversationId: c.id, limit: 100 });
      assert.equal(events.filter((e) => e.type === 'message_created').length, 1);
    });
  });
}
