import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  classify,
  confirmedKeys,
  makeItem,
  memoryStorage,
  type OutboxItem,
} from '../../web/src/outbox/core';
import { Outbox, type SendResult } from '../../web/src/outbox/outbox';
import { applyEvent, initView } from '../../web/src/state/conversation';
import { buildRows } from '../../web/src/state/timeline';
import { CID, ev, userMsg } from './fixtures';

function harness(responses: Array<number | ((item: OutboxItem) => SendResult)>, storage = memoryStorage()) {
  const sent: Array<{ key: string; content: string }> = [];
  const confirmed: string[] = [];
  let now = 1000;
  let auth = 0;
  const box = new Outbox({
    storage,
    now: () => now,
    random: () => 0.5,
    send: async (item) => {
      sent.push({ key: item.key, content: item.content });
      const r = responses.shift() ?? 201;
      if (typeof r === 'function') return r(item);
      return { status: r, body: r === 201 ? { message: { id: `m-${item.content}` } } : null };
    },
    onChange: () => undefined,
    onConfirmed: (item) => confirmed.push(item.content),
    onUnauthorized: () => {
      auth++;
    },
  });
  const settle = async () => {
    for (let i = 0; i < 50; i++) await new Promise((r) => setTimeout(r, 0));
  };
  return { box, sent, confirmed, settle, storage, advance: (ms: number) => (now += ms), auth: () => auth };
}

describe('outbox', () => {
  it('classifies answers', () => {
    expect(classify(201)).toBe('done');
    expect(classify(0)).toBe('retry');
    expect(classify(503)).toBe('retry');
    expect(classify(409)).toBe('retry');
    expect(classify(429)).toBe('retry');
    expect(classify(400)).toBe('fail');
    expect(classify(404)).toBe('fail');
    expect(classify(422)).toBe('fail');
    expect(classify(401)).toBe('auth');
  });

  it('backs off exponentially with a cap', () => {
    const r = () => 0.5;
    expect(backoffMs(0, r)).toBe(500);
    expect(backoffMs(3, r)).toBe(4000);
    expect(backoffMs(30, r)).toBe(15000);
  });

  it('retries with the same idempotency key until confirmed, in typing order', async () => {
    const h = harness([0, 0, 201, 201]);
    await h.box.enqueue(CID, 'first', null);
    await h.box.enqueue(CID, 'second', null);
    await h.settle();
    // The first failed: the second must wait behind it.
    expect(h.sent.map((s) => s.content)).toEqual(['first']);
    h.advance(60_000);
    h.box.kick();
    await h.settle();
    h.advance(60_000);
    h.box.kick();
    await h.settle();
    expect(h.sent.map((s) => s.content)).toEqual(['first', 'first', 'first', 'second']);
    expect(new Set(h.sent.filter((s) => s.content === 'first').map((s) => s.key)).size).toBe(1);
    expect(h.confirmed).toEqual(['first', 'second']);
    expect(await h.storage.all()).toEqual([]);
    h.box.stop();
  });

  it('survives a reload: a new outbox on the same storage sends the stored item with its key', async () => {
    const storage = memoryStorage();
    const a = harness([0], storage);
    const item = await a.box.enqueue(CID, 'offline', null);
    await a.settle();
    a.box.stop();
    const b = harness([201], storage);
    await b.box.reload();
    b.box.kick();
    await b.settle();
    expect(b.sent).toEqual([{ key: item.key, content: 'offline' }]);
    expect(b.confirmed).toEqual(['offline']);
    b.box.stop();
  });

  it('marks a refused message as failed and goes on with the next', async () => {
    const h = harness([400, 201]);
    await h.box.enqueue(CID, 'bad', null);
    await h.box.enqueue(CID, 'good', null);
    await h.settle();
    expect(h.box.list().map((i) => [i.content, i.state])).toEqual([['bad', 'failed']]);
    expect(h.confirmed).toEqual(['good']);
    h.box.stop();
  });

  it('stops on 401 until woken', async () => {
    const h = harness([401, 201]);
    await h.box.enqueue(CID, 'x', null);
    await h.settle();
    expect(h.auth()).toBe(1);
    h.box.kick();
    await h.settle();
    expect(h.sent).toHaveLength(1);
    h.box.wake();
    await h.settle();
    expect(h.confirmed).toEqual(['x']);
    h.box.stop();
  });
});

describe('optimistic copies', () => {
  it('are hidden by the confirmed message id', () => {
    const item = { ...makeItem(CID, 'hello', null, 1), messageId: 'm1' };
    expect(confirmedKeys([item], [{ id: 'm1', role: 'user', content: 'hello' }])).toEqual(
      new Set([item.key]),
    );
  });

  it('are hidden when message_created beats the POST answer, but an older equal text does not count', () => {
    const old = userMsg('m0', 'yes');
    const item = makeItem(CID, 'yes', 'm0', 1);
    let v = initView(CID, null, [old], 0);
    expect(buildRows(v, [item]).map((r) => r.kind)).toEqual(['user', 'outbox']);
    v = applyEvent(v, ev(5, 'message_created', { message: userMsg('m1', 'yes') }));
    expect(buildRows(v, [item]).map((r) => r.kind)).toEqual(['user', 'user']);
  });

  it('two equal texts typed offline pair one to one with confirmed messages', () => {
    const a = makeItem(CID, 'go', null, 1);
    const b = makeItem(CID, 'go', null, 2);
    const msgs = [{ id: 'm1', role: 'user', content: 'go' }];
    expect(confirmedKeys([a, b], msgs)).toEqual(new Set([a.key]));
  });

  it('prefer the idempotency key when the server includes it', () => {
    const a = makeItem(CID, 'same', null, 1);
    const b = makeItem(CID, 'same', null, 2);
    const msgs = [{ id: 'm1', role: 'user', content: 'same', idempotencyKey: b.key }];
    expect(confirmedKeys([a, b], msgs)).toEqual(new Set([b.key]));
  });
});
