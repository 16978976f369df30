import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { rebuildFromLog, toTables } from '../../src/domain/rebuild.ts';
import { SQLITE_FILE } from '../../src/store/open.ts';
import { eventFromRow } from '../../src/store/event-row.ts';
import {
  type ConversationRow,
  type EventRow,
  type MessageRow,
  type SessionRow,
  toConversation,
  toMessage,
  toSession,
} from '../../src/store/sqlite/rows.ts';
import { type TestServer, useServers } from '../helpers/server.ts';

// CONTRACT section 7, the SQLite way of testing: send messages concurrently, kill -9 the server at a
// random moment, restart on the same data dir. Every acknowledged send is there exactly once, an
// unacknowledged one at most once, the database is intact, and the log still rebuilds the tables.
// Several rounds on one data dir, each killed at another random point.

const ROUNDS = 4;
const SENDS = 120;
const CONCURRENCY = 20;

interface Outcome {
  content: string;
  key: string;
  /** The message id when a 201 arrived before the kill. */
  acked: string | null;
}

/** Sends with CONCURRENCY in flight; kills the server when `killAfterAcks` answers have arrived (+ a few ms). */
async function sendUntilKilled(
  s: TestServer,
  cid: string,
  round: number,
  killAfterAcks: number,
  extraMs: number,
) {
  const outcomes: Outcome[] = Array.from({ length: SENDS }, (_, i) => ({
    content: `round ${round} message ${i}`,
    key: `r${round}-m${i}`,
    acked: null,
  }));
  let acks = 0;
  let killing: Promise<void> | null = null;
  let next = 0;
  const worker = async () => {
    while (next < SENDS && !killing) {
      const o = outcomes[next++];
      try {
        const r = await s.api('POST', `/api/conversations/${cid}/messages`, {
          content: o.content,
          idempotencyKey: o.key,
        });
        if (r.status === 201) {
          o.acked = r.body.message.id;
          acks++;
        } else {
          assert.fail(`unexpected ${r.status} ${r.text}`);
        }
      } catch (e) {
        // The connection died with the server: this one is unacknowledged.
        if (!killing) throw e;
      }
      if (acks >= killAfterAcks && !killing) {
        killing = new Promise((r) => setTimeout(r, extraMs)).then(() => s.kill9());
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await (killing ?? s.kill9());
  return outcomes;
}

/** Reads the database file read-only, exactly as the kill left it: integrity, the log, the tables. */
function readDb(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    const events = (db.prepare('SELECT * FROM events ORDER BY seq').all() as EventRow[]).map(eventFromRow);
    const tables = {
      conversations: (db.prepare('SELECT * FROM conversations ORDER BY id').all() as ConversationRow[]).map(
        toConversation,
      ),
      messages: (db.prepare('SELECT * FROM messages ORDER BY ord').all() as MessageRow[]).map(toMessage),
      sessions: (db.prepare('SELECT * FROM sessions ORDER BY ord').all() as SessionRow[]).map(toSession),
    };
    return { integrity, events, tables };
  } finally {
    db.close();
  }
}

const servers = useServers();

test('kill -9 at random moments: every acknowledged send survives exactly once, the database stays intact', async () => {
  let s = await servers.start();
  const { dataDir } = s;
  const cid = (await s.api('POST', '/api/conversations', { agentId: 'demo' })).body.conversation.id;
  const all: Outcome[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const killAfterAcks = randomInt(1, SENDS - CONCURRENCY);
    const extraMs = randomInt(0, 15);
    const outcomes = await sendUntilKilled(s, cid, round, killAfterAcks, extraMs);
    const acked = outcomes.filter((o) => o.acked).length;
    all.push(...outcomes);

    // The file as kill -9 left it, before any restart touches it.
    const { integrity, events, tables } = readDb(join(dataDir, SQLITE_FILE));
    assert.equal(integrity, 'ok');
    // The log that survived the crash rebuilds exactly the tables that survived it.
    assert.deepStrictEqual(toTables(rebuildFromLog(events)), tables);

    s = await servers.restart(s);
    const msgs = (await s.api('GET', `/api/conversations/${cid}/messages`)).body.messages as Array<{
      id: string;
      role: string;
      content: string;
    }>;
    const byContent = new Map<string, string[]>();
    for (const m of msgs.filter((x) => x.role === 'user')) {
      byContent.set(m.content, [...(byContent.get(m.content) ?? []), m.id]);
    }
    for (const o of all) {
      const ids = byContent.get(o.content) ?? [];
      if (o.acked) assert.deepEqual(ids, [o.acked], `acknowledged "${o.content}" is there exactly once`);
      else assert.ok(ids.length <= 1, `unacknowledged "${o.content}" is there at most once`);
    }
    assert.ok(
      [...byContent.keys()].every((c) => all.some((o) => o.content === c)),
      'no message nobody sent',
    );

    assert.deepEqual(
      tables.messages.filter((m) => m.role === 'user' && m.conversationId === cid).map((m) => m.id),
      msgs.filter((m) => m.role === 'user').map((m) => m.id),
      'what the restarted server shows is what the file held at the crash',
    );

    const committedUnacked = outcomes.filter((o) => !o.acked && byContent.has(o.content)).length;
    process.stdout.write(
      `# round ${round}: killed after ${killAfterAcks} acks + ${extraMs} ms; ${acked} acknowledged, ` +
        `${committedUnacked} more committed without an answer\n`,
    );
    // A client retrying its unacknowledged sends with the same keys: each ends up there exactly once.
    for (const o of outcomes.filter((x) => !x.acked)) {
      const r = await s.api('POST', `/api/conversations/${cid}/messages`, {
        content: o.content,
        idempotencyKey: o.key,
      });
      assert.equal(r.status, 201, r.text);
      const had = byContent.get(o.content);
      if (had)
        assert.equal(
          r.body.message.id,
          had[0],
          'a committed but unacknowledged send is replayed, not redone',
        );
      o.acked = r.body.message.id;
    }
    const after = (await s.api('GET', `/api/conversations/${cid}/messages`)).body.messages.filter(
      (m: { role: string }) => m.role === 'user',
    );
    assert.equal(after.length, all.length, 'after the retries: every send exactly once');
    assert.equal(new Set(after.map((m: { content: string }) => m.content)).size, all.length);
  }
});
