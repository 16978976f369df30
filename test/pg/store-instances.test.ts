import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createConversation } from '../../src/commands/conversations.ts';
import { fingerprint, idempotent } from '../../src/commands/idempotency.ts';
import { sendMessage } from '../../src/commands/messages.ts';
import { claimNextSession, finishTurn } from '../../src/commands/runner.ts';
import { migrate } from '../../src/store/postgres/migrate.ts';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.ts';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { Store } from '../../src/store/types.ts';
import { createTestDatabase, pgSkipReason, sql } from '../helpers/pg.ts';
import { useStoreInstances } from './store-setup.ts';

// Several store instances (each its own pool, as in separate server processes) on one database:
// event order, wake-ups, idempotency, claims and a lost database. Store level; the server-level
// multi-instance tests are in the other files of this folder; wake-ups and a lost database are in
// store-wakeups.test.ts.

const pgSkip = await pgSkipReason();

/** Every migration recorded once, in order. */
async function assertFullyMigrated(url: string): Promise<void> {
  const rows = await sql<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version');
  assert.deepEqual(
    rows.map((r) => r.version),
    POSTGRES_MIGRATIONS.map((_, i) => i + 1),
  );
}

describe('PostgreSQL: several store instances on one database', { skip: pgSkip }, () => {
  const { db, open } = useStoreInstances('instances');

  test('instances starting together migrate once (advisory lock), later starts change nothing', async () => {
    const fresh = await createTestDatabase('migrate');
    try {
      const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(fresh.url)));
      await Promise.all(stores.map((s) => s.close()));
      await assertFullyMigrated(fresh.url);
      await (await openPostgresStore(fresh.url)).close();
      assert.equal(
        (await sql(fresh.url, 'SELECT 1 FROM schema_migrations')).length,
        POSTGRES_MIGRATIONS.length,
      );
    } finally {
      await fresh.drop();
    }
  });

  test('a database at an older schema version is brought up to date, keeping its data', async () => {
    const old = await createTestDatabase('upgrade');
    try {
      const client = new pg.Client({ connectionString: old.url });
      await client.connect();
      try {
        await migrate(client, POSTGRES_MIGRATIONS.slice(0, 1));
        await client.query(
          `INSERT INTO conversations (id, agent_id, title, cwd, status, version, settings, created_at, updated_at)
           VALUES ('conv_old', 'demo', 'From v1', '/w', 'active', 1, '{"autoApprove":false,"allowAlways":[]}', 1, 1)`,
        );
      } finally {
        await client.end();
      }
      const s = await openPostgresStore(old.url);
      try {
        assert.equal((await s.getConversation('conv_old'))?.title, 'From v1');
        await assertFullyMigrated(old.url);
      } finally {
        await s.close();
      }
    } finally {
      await old.drop();
    }
  });

  test('the trap, and why it does not bite: a sequence lets a reader skip, the log head does not', async () => {
    // Control: with a plain sequence, the interleaving below makes a tailing reader miss id 1 for good.
    await sql(db.url, 'CREATE TABLE trap (id BIGSERIAL PRIMARY KEY, v TEXT)');
    const slow = new pg.Client({ connectionString: db.url });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      await slow.query(`INSERT INTO trap (v) VALUES ('slow')`); // takes id 1, not yet committed
      await sql(db.url, `INSERT INTO trap (v) VALUES ('fast')`); // takes id 2, commits
      const first = await sql<{ id: number }>(db.url, 'SELECT id::int FROM trap WHERE id > 0 ORDER BY id');
      assert.deepEqual(
        first.map((r) => r.id),
        [2],
      );
      await slow.query('COMMIT');
      const next = await sql(db.url, 'SELECT id FROM trap WHERE id > 2');
      assert.equal(next.length, 0, 'the reader at cursor 2 will never see id 1: skipped');
    } finally {
      await slow.end();
    }

    // The same interleaving on the store: the slow transaction appends first and commits last.
    const a = await open();
    const b = await open();
    const reader = await open();
    const c = await a.transaction((t) => createConversation(t, { agentId: 'demo', cwd: '/w' }));
    let cursor = await reader.lastSeq();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slowTx = a.transaction(async (t) => {
      await t.append({ type: 'text_delta', conversationId: c.id, text: 'slow' });
      await gate;
    });
    await sleep(20);
    await b.transaction((t) => t.append({ type: 'text_delta', conversationId: c.id, text: 'fast' }));
    const seen = await reader.readEvents({ after: cursor, limit: 10 });
    assert.deepEqual(
      seen.map((e) => e.text),
      ['fast'],
    );
    cursor = seen[0].seq;
    release();
    await slowTx;
    const later = await reader.readEvents({ after: cursor, limit: 10 });
    assert.deepEqual(
      later.map((e) => e.text),
      ['slow'],
      'numbered at commit: after the cursor, so the reader gets it',
    );
  });

  test('many concurrent appending transactions on two instances: a tailing reader never skips a seq', async () => {
    const a = await open();
    const b = await open();
    const reader = await open();
    const c = await a.transaction((t) => createConversation(t, { agentId: 'demo', cwd: '/w' }));
    const start = await reader.lastSeq();
    const TX_PER_INSTANCE = 150;
    const PARALLEL = 12;
    let done = false;
    const violations: string[] = [];
    let cursor = start;
    let pages = 0;

    // Tails the whole log as fast as it can, like a WebSocket subscriber catching up after each wake-up.
    const tail = (async () => {
      while (true) {
        const finished = done;
        const page = await reader.readEvents({ after: cursor, limit: 37 });
        pages++;
        for (const [i, e] of page.entries()) {
          if (e.seq !== cursor + 1 + i)
            violations.push(`after ${cursor} got ${page.map((x) => x.seq).join(',')}`);
        }
        if (page.length) cursor = page.at(-1)!.seq;
        else if (finished) return;
        else await sleep(1);
      }
    })();

    let expected = 0;
    const writer = async (store: Store, name: string) => {
      let next = 0;
      const worker = async () => {
        while (next < TX_PER_INSTANCE) {
          const i = next++;
          const n = 1 + (i % 3);
          expected += n;
          await store.transaction(async (t) => {
            for (let k = 0; k < n; k++) {
              await t.append({ type: 'text_delta', conversationId: c.id, text: `${name}${i}.${k}` });
              // Hold the transaction open a varying while, so commits interleave in every order.
              if ((i + k) % 2) await sleep(Math.floor(Math.random() * 4));
            }
          });
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
    };
    await Promise.all([writer(a, 'a'), writer(b, 'b')]);
    done = true;
    await tail;

    assert.deepEqual(violations, [], 'a reader skipped a seq');
    assert.equal(cursor, await reader.lastSeq());
    const all = await reader.readEvents({ after: start, limit: 10_000 });
    assert.equal(all.length, expected);
    // Each transaction's events are adjacent and in append order.
    for (let i = 0; i < all.length; ) {
      const [tag] = (all[i].text as string).split('.');
      const n = 1 + (Number(tag.slice(1)) % 3);
      for (let k = 0; k < n; k++) assert.equal(all[i + k].text, `${tag}.${k}`);
      i += n;
    }
    assert.ok(pages > 10, `the reader tailed while writers ran (${pages} pages)`);
  });

  test('the same idempotency key at two instances at once: one effect, the same response', async () => {
    const a = await open();
    const b = await open();
    const c = await a.transaction((t) => createConversation(t, { agentId: 'demo', cwd: '/w' }));
    const send = (store: Store, key: string) =>
      store.transaction((t) =>
        idempotent(
          t,
          { scope: `messages:${c.id}`, key, fingerprint: fingerprint({ content: key }), expiredBefore: 0 },
          async () => ({ status: 201, body: await sendMessage(t, c.id, { content: key }) }),
        ),
      );
    for (let k = 0; k < 12; k++) {
      const key = `k${k}`;
      const replies = await Promise.all([send(a, key), send(b, key), send(a, key), send(b, key)]);
      assert.equal(new Set(replies.map((r) => r.body)).size, 1, key);
      assert.equal(replies.filter((r) => !r.replayed).length, 1, key);
    }
    assert.equal((await a.listMessages(c.id)).length, 12);
    assert.equal((await b.listSessions(c.id)).length, 12);

    // The race forced step by step: A has done the work but not yet stored its record; B looked for the
    // record (none yet) and is doing the same work. B must end up re-run and replaying A's response.
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const retriesBefore = b.retries;
    const first = a.transaction((t) =>
      idempotent(
        t,
        {
          scope: `messages:${c.id}`,
          key: 'forced',
          fingerprint: fingerprint({ content: 'forced' }),
          expiredBefore: 0,
        },
        async () => {
          const body = await sendMessage(t, c.id, { content: 'forced' });
          await gate;
          return { status: 201, body };
        },
      ),
    );
    await sleep(20);
    const second = send(b, 'forced');
    // Wait until B is blocked behind A's lock on the conversation row, i.e. past its record lookup.
    for (let i = 0; i < 500; i++) {
      const waiting = await sql(
        db.url,
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (waiting.length) break;
      await sleep(10);
    }
    release();
    const [ra, rb] = await Promise.all([first, second]);
    assert.equal(rb.body, ra.body);
    assert.equal(ra.replayed, false);
    assert.equal(rb.replayed, true);
    assert.equal(b.retries, retriesBefore + 1, 'B hit the unique key and was re-run once');
    assert.equal((await a.listMessages(c.id)).length, 13);
  });

  test('two instances claiming at once: every session runs exactly once, one at a time per conversation, in order', async () => {
    const a = await open();
    const b = await open();
    const convs = [];
    for (let i = 0; i < 3; i++) {
      const c = await a.transaction((t) => createConversation(t, { agentId: 'demo', cwd: '/w' }));
      convs.push(c);
      for (let k = 0; k < 4; k++) await a.transaction((t) => sendMessage(t, c.id, { content: `${i}.${k}` }));
    }
    const claims: Array<{ owner: string; session: string; conversation: string }> = [];
    const running = new Set<string>();
    const overlaps: string[] = [];
    const runner = async (store: Store, owner: string) => {
      let idle = 0;
      while (idle < 5) {
        const claimed = await store.transaction((t) =>
          claimNextSession(t, { owner, leaseMs: 30_000, skipConversations: new Set() }),
        );
        if (!claimed) {
          idle++;
          await sleep(5);
          continue;
        }
        idle = 0;
        const cid = claimed.session.conversationId;
        if (running.has(cid)) overlaps.push(cid);
        running.add(cid);
        claims.push({ owner, session: claimed.session.id, conversation: cid });
        await sleep(3);
        running.delete(cid);
        await store.transaction((t) =>
          finishTurn(t, {
            sessionId: claimed.session.id,
            owner,
            events: [{ type: 'text_delta', text: owner }],
            outcome: { kind: 'completed', stopReason: 'end_turn', text: owner, blocks: [] },
          }),
        );
      }
    };
    await Promise.all([runner(a, 'A'), runner(b, 'B'), runner(a, 'A2'), runner(b, 'B2')]);
    assert.deepEqual(overlaps, [], 'two turns of one conversation ran at once');
    // (Pending sessions left by earlier tests in this database are claimed too; count only ours.)
    assert.equal(new Set(claims.map((c) => c.session)).size, claims.length, 'a session was claimed twice');
    const ours = new Set(convs.map((c) => c.id));
    assert.equal(claims.filter((c) => ours.has(c.conversation)).length, 12);
    for (const c of convs) {
      const order = claims.filter((x) => x.conversation === c.id).map((x) => x.session);
      const created = (await a.listSessions(c.id)).map((s) => s.id).reverse();
      assert.deepEqual(order, created);
      for (const s of await a.listSessions(c.id)) assert.equal(s.status, 'completed');
    }
  });
});
