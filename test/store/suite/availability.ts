import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreUnavailableError } from '../../../src/domain/errors.ts';
import type { Conversation } from '../../../src/domain/types.ts';
import type { Store } from '../../../src/store/types.ts';
import type { Harness } from './harness.ts';

// A store's life: another store on the same data sees everything (a restart); once closed, every read
// and write is a StoreUnavailableError (503, store_unavailable), never a driver's own error (a 500).

const unavailable = (e: unknown) =>
  e instanceof StoreUnavailableError && e.status === 503 && e.code === 'store_unavailable';

/** Every Store call that reads, by name, so a failure says which one answered wrongly. */
function everyRead(
  store: Store,
  ids: { c: string; m: string; s: string },
): Array<[string, () => Promise<unknown>]> {
  return [
    ['listConversations', () => store.listConversations()],
    ['listConversations q', () => store.listConversations({ q: 'x' })],
    ['getConversation', () => store.getConversation(ids.c)],
    ['listMessages', () => store.listMessages(ids.c)],
    ['listMessages page', () => store.listMessages(ids.c, { limit: 1, before: ids.m })],
    ['getMessage', () => store.getMessage(ids.m)],
    ['getSession', () => store.getSession(ids.s)],
    ['latestSession', () => store.latestSession(ids.c)],
    ['listSessions', () => store.listSessions(ids.c)],
    ['listSessions status', () => store.listSessions(ids.c, 'pending')],
    ['sessionsWithStatus', () => store.sessionsWithStatus(['pending', 'processing'])],
    ['getPermission', () => store.getPermission(ids.s, 'r')],
    ['pendingPermissions', () => store.pendingPermissions(ids.c)],
    ['readEvents', () => store.readEvents({ after: 0, limit: 10 })],
    ['readEvents conversation', () => store.readEvents({ after: 0, conversationId: ids.c, limit: 10 })],
    [
      'readEvents session',
      () => store.readEvents({ after: 0, sessionId: ids.s, lifecycleOnly: true, limit: 10 }),
    ],
    ['lastSeq', () => store.lastSeq()],
    ['lastSeq conversation', () => store.lastSeq(ids.c)],
    ['dumpTables', () => store.dumpTables()],
    ['purgeIdempotency', () => store.purgeIdempotency(0)],
    ['transaction', () => store.transaction(async (t) => t.getConversation(ids.c))],
  ];
}

export function availabilityCases(h: Harness): void {
  const { conv, send } = h;

  test('a second store on the same data sees everything; close makes it unavailable', async () => {
    const first = await h.open();
    const c = await conv();
    const { session } = await send(c.id);
    const tables = await first.dumpTables();
    const seq = await first.lastSeq();
    await first.close();
    await assert.rejects(
      first.transaction(async () => 1),
      unavailable,
    );
    const store = await h.reopen();
    assert.deepEqual(await store.dumpTables(), tables);
    assert.equal(await store.lastSeq(), seq);
    assert.deepEqual(await store.getSession(session.id), session);
    // The log continues where it was.
    await send(c.id);
    const next = await store.readEvents({ after: seq, limit: 10 });
    assert.ok(next.length === 2 && next[0].seq > seq);
  });

  test('after close, every read and write is a 503 store_unavailable; closing again is harmless', async () => {
    const store = await h.open();
    const c = await conv();
    const { message, session } = await send(c.id);
    const ids = { c: c.id, m: message.id, s: session.id };
    // Open: each read answers.
    for (const [name, read] of everyRead(store, ids)) await assert.doesNotReject(read(), name);
    await store.close();
    for (const [name, read] of everyRead(store, ids)) {
      await assert.rejects(read(), unavailable, `${name} after close`);
    }
    await store.close();
  });

  test('dumpTables: every row, for the rebuild-from-log check', async () => {
    const store = await h.open();
    const c = await conv();
    const d = await conv('D');
    const a = await send(c.id, 'one');
    const b = await send(d.id, 'two');
    const dump = await store.dumpTables();
    assert.deepEqual(dump.conversations.map((x) => x.id).sort(), [c.id, d.id].sort());
    assert.deepEqual(
      dump.messages.map((m) => m.id),
      [a.message.id, b.message.id],
    );
    assert.deepEqual(
      dump.sessions.map((s) => s.id),
      [a.session.id, b.session.id],
    );
    // The rows agree with the snapshots in the log.
    const events = await store.readEvents({ after: 0, limit: 1000 });
    const lastConv = new Map<string, unknown>();
    for (const e of events) if (e.conversation) lastConv.set(e.conversationId, e.conversation);
    for (const row of dump.conversations) {
      const snap = lastConv.get(row.id) as Conversation;
      assert.equal(snap.title, row.title);
      assert.equal(snap.version, row.version);
    }
  });
}
