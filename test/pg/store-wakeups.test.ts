import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConversation } from '../../src/commands/conversations.ts';
import { sendMessage } from '../../src/commands/messages.ts';
import { StoreUnavailableError } from '../../src/domain/errors.ts';
import { pgSkipReason, sql } from '../helpers/pg.ts';
import { twoListeningStores, useStoreInstances } from './store-setup.ts';
import { startTcpProxy } from './tcp-proxy.ts';

// Several store instances on one database, continued from store-instances.test.ts: how one instance
// learns of another's appends (LISTEN/NOTIFY, and polling while that connection is lost), and a lost
// database (a 503 with nothing half-written, then recovery).

const pgSkip = await pgSkipReason();

describe('PostgreSQL: store instances, wake-ups and a lost database', { skip: pgSkip }, () => {
  const { db, open } = useStoreInstances('wakeups');

  test('an append through one instance wakes the other through LISTEN/NOTIFY (no polling)', async () => {
    const { a, b, conversationId } = await twoListeningStores(open);
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const woke = new Promise<number>((resolve) => {
        const off = a.onAppend((seq) => {
          off();
          resolve(seq);
        });
      });
      const t0 = performance.now();
      await b.transaction((t) => t.append({ type: 'status', conversationId }));
      const seq = await Promise.race([woke, sleep(3000).then(() => -1)]);
      latencies.push(performance.now() - t0);
      assert.equal(seq, await b.lastSeq());
    }
    assert.ok(
      Math.max(...latencies) < 1000,
      `wake-ups took ${latencies.map((l) => l.toFixed(1)).join(', ')} ms`,
    );
  });

  test('a lost LISTEN connection only delays wake-ups: reconnect, poll, then notifications again', async () => {
    const { a, b, conversationId } = await twoListeningStores(open);
    const seen: number[] = [];
    a.onAppend((s) => seen.push(s));
    // Kill every LISTEN connection on the database (a's and b's), then append while a is not listening.
    const killed = await sql(
      db.url,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
    );
    assert.ok(killed.length >= 2);
    await b.transaction((t) => t.append({ type: 'status', conversationId, n: 1 }));
    const missed = await b.lastSeq();
    const deadline = Date.now() + 5000;
    while (!seen.includes(missed) && Date.now() < deadline) await sleep(20);
    assert.ok(
      seen.includes(missed),
      'the event committed while a was disconnected was reported after reconnecting',
    );
    await sleep(100);
    await b.transaction((t) => t.append({ type: 'status', conversationId, n: 2 }));
    const next = await b.lastSeq();
    const deadline2 = Date.now() + 2000;
    while (!seen.includes(next) && Date.now() < deadline2) await sleep(10);
    assert.ok(seen.includes(next), 'notifications flow again on the new connection');
  });

  test('a lost database is a 503 (StoreUnavailableError) with nothing half-written, and the store recovers', async () => {
    const u = new URL(db.url);
    const proxy = await startTcpProxy(u.hostname, Number(u.port || 5432));
    try {
      const viaProxy = new URL(db.url);
      viaProxy.port = String(proxy.port);
      const s = await open({ pollMs: 100 }, viaProxy.toString());
      const c = await s.transaction((t) => createConversation(t, { agentId: 'demo', cwd: '/w' }));

      // Cut in the middle of a transaction: its work must not appear.
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const cutMidway = s.transaction(async (t) => {
        await sendMessage(t, c.id, { content: 'lost' });
        await gate;
      });
      await sleep(30);
      await proxy.cut();
      release();
      await assert.rejects(cutMidway, (e) => e instanceof StoreUnavailableError && e.status === 503);
      await assert.rejects(
        s.transaction((t) => sendMessage(t, c.id, { content: 'refused' })),
        (e) => e instanceof StoreUnavailableError,
      );
      await assert.rejects(s.listConversations(), (e) => e instanceof StoreUnavailableError);
      await assert.rejects(s.readEvents({ after: 0, limit: 1 }), (e) => e instanceof StoreUnavailableError);

      await proxy.restore();
      await s.transaction((t) => sendMessage(t, c.id, { content: 'after' }));
      assert.deepEqual(
        (await s.listMessages(c.id)).map((m) => m.content),
        ['after'],
      );
    } finally {
      await proxy.close();
    }
  });
});
