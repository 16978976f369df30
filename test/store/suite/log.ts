import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sendMessage } from '../../../src/commands/messages.ts';
import { AppError } from '../../../src/domain/errors.ts';
import type { StoredEvent } from '../../../src/domain/types.ts';
import type { Harness } from './harness.ts';

// The log and transactions: all-or-nothing, commit before resolve, seq order, readEvents filters, onAppend.

export function logCases(h: Harness): void {
  const { tx, conv, send, setStatus } = h;
  test('a failing transaction leaves nothing behind and wakes nobody; AppErrors pass through unchanged', async () => {
    const store = await h.open();
    const c = await conv();
    const seq = await store.lastSeq();
    const woken: number[] = [];
    const off = store.onAppend((s) => woken.push(s));
    const boom = new AppError(409, 'custom', 'nope');
    await assert.rejects(
      tx(async (t) => {
        await sendMessage(t, c.id, { content: 'never' });
        await t.putIdempotency({
          scope: 's',
          key: 'k',
          fingerprint: 'f',
          status: 1,
          body: '',
          created_at: t.now,
        });
        throw boom;
      }),
      (e) => e === boom,
    );
    await assert.rejects(
      tx(async (t) => {
        await t.append({ type: 'status', conversationId: c.id });
        throw new TypeError('a bug');
      }),
      TypeError,
    );
    assert.equal(await store.lastSeq(), seq);
    assert.deepEqual(await store.listMessages(c.id), []);
    assert.equal(await tx((t) => t.getIdempotency('s', 'k')), null);
    // The next append gets the next number: a rolled-back transaction left no trace in the log.
    await tx((t) => t.append({ type: 'status', conversationId: c.id }));
    const [e] = await store.readEvents({ after: seq, limit: 10 });
    assert.equal(e.type, 'status');
    assert.ok(e.seq > seq);
    await sleep(50);
    assert.deepEqual(woken, [e.seq]);
    off();
  });

  test('transaction returns the value of fn only after commit; Tx.now is one clock reading', async () => {
    const store = await h.open();
    const c = await conv();
    const { session } = await tx(async (t) => {
      const r = await sendMessage(t, c.id, { content: 'x' });
      assert.equal(r.message.created_at, t.now);
      assert.equal(r.session.created_at, t.now);
      return r;
    });
    // Visible to a plain read on resolve: the commit came first.
    assert.ok(await store.getSession(session.id));
    for (const e of await store.readEvents({ after: 0, conversationId: c.id, limit: 10 })) {
      if (e.type !== 'conversation_created') assert.equal(e.created_at, session.created_at);
    }
  });

  test('seq: unique, strictly growing in commit order, across concurrent transactions', async () => {
    const store = await h.open();
    const c = await conv();
    const d = await conv('D');
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        tx(async (t) => {
          await t.append({
            type: 'text_delta',
            conversationId: i % 2 ? c.id : d.id,
            sessionId: null,
            text: `${i}a`,
          });
          if (i % 3 === 0) await sleep(1);
          await t.append({
            type: 'text_delta',
            conversationId: i % 2 ? c.id : d.id,
            sessionId: null,
            text: `${i}b`,
          });
        }),
      ),
    );
    const all = await store.readEvents({ after: 0, limit: 1000 });
    assert.equal(all.length, 62);
    for (let i = 1; i < all.length; i++) assert.ok(all[i].seq > all[i - 1].seq);
    // A transaction's events are adjacent and in append order.
    const texts = all.filter((e) => e.type === 'text_delta').map((e) => e.text as string);
    for (let i = 0; i < texts.length; i += 2) {
      assert.equal(texts[i].replace('a', ''), texts[i + 1].replace('b', ''));
    }
    assert.equal(await store.lastSeq(), all.at(-1)?.seq);
  });

  test('readEvents: after, limit and paging, conversation, session and lifecycle filters', async () => {
    const store = await h.open();
    const c = await conv('C');
    const d = await conv('D');
    const { session } = await send(c.id);
    await tx(async (t) => {
      await t.append({ type: 'text_delta', conversationId: c.id, sessionId: session.id, text: 'a' });
      await t.append({ type: 'thought_delta', conversationId: c.id, sessionId: session.id, text: 'b' });
      await t.append({ type: 'commands', conversationId: c.id, sessionId: null, list: [] });
    });
    await send(d.id);
    await setStatus(session, { status: 'completed', completed_at: Date.now() });

    const all = await store.readEvents({ after: 0, limit: 1000 });
    assert.equal(all.length, 10);
    const seqs = all.map((e) => e.seq);
    const pick = (f: (e: StoredEvent) => boolean) => all.filter(f).map((e) => e.seq);

    assert.deepEqual(
      (await store.readEvents({ after: seqs[3], limit: 1000 })).map((e) => e.seq),
      seqs.slice(4),
    );
    assert.deepEqual(
      (await store.readEvents({ after: 0, limit: 3 })).map((e) => e.seq),
      seqs.slice(0, 3),
    );
    // Paging by the last seq of each page reads everything exactly once.
    const paged: number[] = [];
    for (let cursor = 0; ; ) {
      const page = await store.readEvents({ after: cursor, limit: 4 });
      if (page.length === 0) break;
      paged.push(...page.map((e) => e.seq));
      cursor = page.at(-1)!.seq;
    }
    assert.deepEqual(paged, seqs);

    assert.deepEqual(
      (await store.readEvents({ after: 0, conversationId: c.id, limit: 100 })).map((e) => e.seq),
      pick((e) => e.conversationId === c.id),
    );
    assert.deepEqual(
      (await store.readEvents({ after: 0, sessionId: session.id, limit: 100 })).map((e) => e.seq),
      pick((e) => e.sessionId === session.id),
    );
    const lifecycle = new Set([
      'conversation_created',
      'message_created',
      'session_created',
      'session_updated',
    ]);
    assert.deepEqual(
      (await store.readEvents({ after: 0, lifecycleOnly: true, limit: 100 })).map((e) => e.seq),
      pick((e) => lifecycle.has(e.type)),
    );
    assert.deepEqual(
      (await store.readEvents({ after: 0, lifecycleOnly: true, conversationId: c.id, limit: 100 })).map(
        (e) => e.seq,
      ),
      pick((e) => lifecycle.has(e.type) && e.conversationId === c.id),
    );
    assert.deepEqual(
      (await store.readEvents({ after: 0, lifecycleOnly: true, conversationId: c.id, limit: 2 })).map(
        (e) => e.seq,
      ),
      pick((e) => lifecycle.has(e.type) && e.conversationId === c.id).slice(0, 2),
    );
    // The filter comes before the limit: a page past the agent's output is full, not empty.
    const afterCreated = pick((e) => e.type === 'session_created' && e.conversationId === c.id)[0];
    const nextLifecycle = pick(
      (e) => lifecycle.has(e.type) && e.seq > afterCreated && e.sessionId === session.id,
    );
    assert.equal(nextLifecycle.length, 1);
    for (const filter of [{ conversationId: c.id }, { sessionId: session.id }]) {
      assert.deepEqual(
        (await store.readEvents({ after: afterCreated, lifecycleOnly: true, limit: 1, ...filter })).map(
          (e) => e.seq,
        ),
        nextLifecycle.slice(0, 1),
        JSON.stringify(filter),
      );
    }
    assert.deepEqual(await store.readEvents({ after: seqs.at(-1)!, limit: 10 }), []);
    assert.equal((await store.readEvents({ after: 0, limit: 0 })).length, 1, 'limit is at least 1');
    assert.equal(await store.lastSeq(c.id), pick((e) => e.conversationId === c.id).at(-1));
    assert.equal(await store.lastSeq(d.id), pick((e) => e.conversationId === d.id).at(-1));
    assert.equal(await store.lastSeq(), seqs.at(-1));
  });

  test('onAppend: after each commit that appended, with the newest seq; unsubscribe works', async () => {
    const store = await h.open();
    const seen: number[] = [];
    const off = store.onAppend((s) => seen.push(s));
    const c = await conv();
    await sleep(30);
    const s1 = await store.lastSeq();
    assert.ok(seen.includes(s1), `${seen} should include ${s1}`);
    const before = seen.length;
    await tx((t) => t.getConversation(c.id));
    await sleep(30);
    assert.equal(seen.length, before, 'no events, no wake-up');
    await send(c.id);
    await sleep(30);
    assert.equal(seen.at(-1), await store.lastSeq());
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1]);
    off();
    const n = seen.length;
    await send(c.id);
    await sleep(30);
    assert.equal(seen.length, n);
  });
}
