import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createConversation } from '../../src/commands/conversations.ts';
import { AppError } from '../../src/domain/errors.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

// The SQLite store's group commit: queued transactions share one COMMIT, each in its own savepoint.

let dir: string;
let store: SqliteStore;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gmgui-gc-'));
  store = openSqliteStore({ file: join(dir, 'gmgui.db') });
});
after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** Fails instead of hanging when a transaction is never run (a lost wake-up). */
function watchdog<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} never settled`)), 10_000);
  });
  return Promise.race([p, hang]).finally(() => clearTimeout(timer));
}

test('a transaction started right after another one committed is run (no lost wake-up)', async () => {
  // Regression: the caller resumed by a commit ran before the drain loop had finished, queued its
  // next transaction, and nothing ever ran it (start-up recovery and the runner do exactly this).
  await watchdog(
    (async () => {
      for (let i = 0; i < 20; i++) await store.transaction(async (tx) => tx.now);
    })(),
    'sequential transactions',
  );
  // And with nothing else in the process to keep the event loop busy:
  const chained = store.transaction(async () => 1).then(() => store.transaction(async () => 2));
  assert.equal(await watchdog(chained, 'a chained transaction'), 2);
});

test('in one batch, a failing command rolls back alone: its rows and events are gone, the others commit', async () => {
  const before = await store.lastSeq();
  const results = await Promise.allSettled([
    store.transaction((tx) => createConversation(tx, { agentId: 'demo', title: 'kept 1', cwd: '/w' })),
    store.transaction(async (tx) => {
      await createConversation(tx, { agentId: 'demo', title: 'rolled back', cwd: '/w' });
      throw new AppError(409, 'nope', 'refused after writing');
    }),
    store.transaction((tx) => createConversation(tx, { agentId: 'demo', title: 'kept 2', cwd: '/w' })),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  const titles = (await store.listConversations()).map((c) => c.title).sort();
  assert.deepEqual(titles, ['kept 1', 'kept 2']);
  const events = await store.readEvents({ after: before, limit: 100 });
  assert.deepEqual(events.map((e) => (e.conversation as { title: string }).title).sort(), [
    'kept 1',
    'kept 2',
  ]);
  assert.equal(store.integrityCheck(), 'ok');
});

test('transactions queued in the same event-loop turn share one commit: readers are woken once, with the newest seq', async () => {
  const woken: number[] = [];
  const off = store.onAppend((seq) => woken.push(seq));
  try {
    const convs = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        store.transaction((tx) =>
          createConversation(tx, { agentId: 'demo', title: `batch ${i}`, cwd: '/w' }),
        ),
      ),
    );
    const seqs = (await store.readEvents({ after: 0, limit: 1000 }))
      .filter((e) => convs.some((c) => c.id === e.conversationId))
      .map((e) => e.seq);
    assert.equal(seqs.length, 5);
    assert.deepEqual(woken, [Math.max(...seqs)], 'one COMMIT for the batch, one wake-up');
  } finally {
    off();
  }
});
