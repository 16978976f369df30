import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store } from '../../../src/store/types.ts';
import type { Harness } from './harness.ts';

// The raw reads history pages are built from (CONTRACT section 8, "Paged history"): rows as stored,
// data only under the inline cap, and the data of larger ones in pieces. Pieces cut anywhere (bytes on
// SQLite, characters on PostgreSQL) and must put back exactly what readEvents parses.

const PATTERN = 'aé€😀"\n\t\\';

/** The whole data JSON of event `seq`, from pieces of `max` units. */
async function dataOf(store: Store, seq: number, max: number): Promise<string> {
  const parts: Buffer[] = [];
  for (let from = 0; ; ) {
    const p = await store.readEventData(seq, from, max);
    assert.ok(p, `event ${seq} exists`);
    parts.push(typeof p.piece === 'string' ? Buffer.from(p.piece) : Buffer.from(p.piece));
    if (p.done) break;
    assert.ok(p.next > from, 'each piece moves on');
    from = p.next;
  }
  return Buffer.concat(parts).toString('utf8');
}

export function rawEventsCases(h: Harness): void {
  test('raw event rows: data under the cap, the rest in pieces that reassemble exactly', async () => {
    await h.open();
    const c = await h.conv();
    const { session } = await h.send(c.id, 'hello');
    const big = PATTERN.repeat(40_000);
    await h.tx(async (t) => {
      await t.append({ type: 'text_delta', conversationId: c.id, sessionId: session.id, text: 'small' });
      await t.append({ type: 'text_delta', conversationId: c.id, sessionId: session.id, text: big });
      await t.append({ type: 'plan', conversationId: c.id, sessionId: session.id, entries: [] });
    });
    const parsed = await h.store.readEvents({ sessionId: session.id, after: 0, limit: 100 });
    const rows = await h.store.readEventRows({ sessionId: session.id, after: 0, limit: 100 }, 4096);
    assert.deepEqual(
      rows.map((r) => Number(r.seq)),
      parsed.map((e) => e.seq),
      'the same rows as readEvents, in order',
    );
    let streamed = 0;
    for (const [i, r] of rows.entries()) {
      const e = parsed[i];
      assert.equal(r.type, e.type);
      assert.equal(r.conversation_id, e.conversationId);
      assert.equal(r.session_id, e.sessionId);
      assert.equal(Number(r.created_at), e.created_at);
      const whole = await dataOf(h.store, Number(r.seq), 7_777);
      assert.equal(Number(r.size), Buffer.byteLength(whole), 'size is the bytes of the data');
      if (r.size > 4096) {
        assert.equal(r.data, null, 'over the cap: not read');
        streamed++;
      } else assert.equal(r.data, whole);
      const { seq, type, conversationId, sessionId, created_at, ...fields } = e;
      assert.deepEqual(JSON.parse(whole), fields, `event ${seq} (${type}) put back exactly`);
    }
    assert.ok(streamed >= 1, 'the large event came without its data');
    const limited = await h.store.readEventRows({ conversationId: c.id, after: 0, limit: 2 }, 4096);
    assert.equal(limited.length, 2);
    assert.equal(await h.store.readEventData(999_999_999, 0, 100), null, 'an unknown event is null');
  });

  test('sessionJson: the same JSON as the parsed row, with the stored response spliced in', async () => {
    await h.open();
    const c = await h.conv();
    const { session } = await h.send(c.id, 'hello');
    const none = await h.store.sessionJson({ id: session.id });
    assert.equal(none?.json, JSON.stringify(await h.store.getSession(session.id)), 'no response yet');
    await h.setStatus(session, {
      status: 'completed',
      response: { text: PATTERN.repeat(1000), messageId: 'm1' },
    });
    for (const q of [{ id: session.id }, { latestOf: c.id }]) {
      const r = await h.store.sessionJson(q);
      assert.equal(r?.json, JSON.stringify(await h.store.getSession(session.id)), JSON.stringify(q));
      assert.equal(r?.session.id, session.id);
    }
    assert.equal(await h.store.sessionJson({ id: 'sess_nope' }), null);
    assert.equal(await h.store.sessionJson({ latestOf: 'conv_nope' }), null);
  });
}
