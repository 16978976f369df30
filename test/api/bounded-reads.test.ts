import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createConversation } from '../../src/commands/conversations.ts';
import { sendMessage } from '../../src/commands/messages.ts';
import {
  appendAgentOutput,
  claimNextSession,
  finishTurn,
  type OutputEvent,
} from '../../src/commands/runner.ts';
import { SQLITE_FILE } from '../../src/store/open.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { assertError } from '../helpers/api-assert.ts';
import { useServer } from '../helpers/server.ts';

// Issue 10, bounded reads (CONTRACT section 8, "Paged history"): a completed turn whose closing events
// are megabytes (they repeat the whole answer) is read through pages; those events are streamed from
// the store in slices of bytes, so the answer is full of multi-byte characters that slices cut through.
// Every byte must arrive, in order, equal to what the store's own parsed read gives. Not timed.

interface Ev {
  seq: number;
  type: string;
  sessionId: string | null;
  [k: string]: unknown;
}

/** Text whose UTF-8 is 1, 2, 3 and 4 bytes a character, and JSON escapes (a quote, a newline, a tab). */
const PATTERN = 'aé€😀"\n\t\\';

let ids: { conversationId: string; sessionId: string };
let answer = '';
const reference: Ev[] = [];

const s = useServer({
  prepare: async ({ dataDir, rootDir }) => {
    const store = openSqliteStore({ file: join(dataDir, SQLITE_FILE) });
    try {
      ids = await store.transaction(async (tx) => {
        const c = await createConversation(tx, { agentId: 'demo', title: 'huge', cwd: rootDir });
        const { session } = await sendMessage(tx, c.id, { content: 'a huge answer' });
        return { conversationId: c.id, sessionId: session.id };
      });
      await store.transaction((tx) =>
        claimNextSession(tx, { owner: 'seed', leaseMs: 3_600_000, skipConversations: new Set() }),
      );
      const parts: string[] = [];
      // Deltas of 64 KB, and one of 1 MB: an output event too large to be held whole is streamed too.
      for (let i = 0; i < 50; i++) {
        const size = i === 20 ? 1024 * 1024 : 64 * 1024;
        const t = `${i}:${PATTERN.repeat(Math.ceil(size / PATTERN.length))}`;
        parts.push(t);
        const events: OutputEvent[] = [{ type: 'text_delta', text: t }];
        await store.transaction((tx) =>
          appendAgentOutput(tx, { sessionId: ids.sessionId, owner: 'seed', events }),
        );
      }
      answer = parts.join('');
      const outcome = {
        kind: 'completed' as const,
        stopReason: 'end_turn',
        text: answer,
        blocks: [{ type: 'text', text: answer }],
      };
      await store.transaction((tx) =>
        finishTurn(tx, { sessionId: ids.sessionId, owner: 'seed', events: [], outcome }),
      );
      // The reference: the store's parsed read, which the pages must equal.
      for (let after = 0; ; ) {
        const page = (await store.readEvents({ sessionId: ids.sessionId, after, limit: 50 })) as Ev[];
        if (page.length === 0) break;
        reference.push(...page);
        after = page[page.length - 1].seq;
      }
    } finally {
      await store.close();
    }
  },
});

async function readAll(first: string, next: (after: number) => string) {
  const pages: Array<{ bytes: number; events: Ev[]; body: Record<string, unknown> }> = [];
  let r = await s.api('GET', first);
  for (;;) {
    assert.equal(r.status, 200, r.text.slice(0, 300));
    pages.push({ bytes: Buffer.byteLength(r.text), events: r.body.events, body: r.body });
    if (r.body.nextAfter === null) break;
    assert.equal(r.body.nextAfter, r.body.events.at(-1).seq, 'nextAfter is the last seq of the page');
    r = await s.api('GET', next(r.body.nextAfter));
  }
  return pages;
}

describe('bounded reads of a huge completed turn', () => {
  test('the session pages deliver every event and every byte of the answer, in order', async () => {
    assert.ok(Buffer.byteLength(answer) > 6 * 1024 * 1024, 'the closing events span several slices');
    const pages = await readAll(
      `/api/sessions/${ids.sessionId}`,
      (a) => `/api/sessions/${ids.sessionId}?after=${a}`,
    );
    const head = pages[0].body.session as { status: string; response: { text: string } };
    assert.equal(head.status, 'completed');
    assert.equal(head.response.text, answer, 'the session row carries the whole answer');
    for (const [i, p] of pages.entries()) {
      assert.ok(p.events.length >= 1, `page ${i} moves on`);
      assert.ok(p.bytes <= 1024 * 1024 || p.events.length === 1, `page ${i}: ${p.bytes} bytes`);
    }
    const all = pages.flatMap((p) => p.events);
    assert.deepEqual(all, reference, 'the pages are the stored events, none missing, repeated or changed');
    const text = all
      .filter((e) => e.type === 'text_delta')
      .map((e) => e.text)
      .join('');
    assert.equal(text, answer, 'the deltas add up to the answer');
    const created = all.find(
      (e) =>
        e.type === 'message_created' &&
        e.sessionId === ids.sessionId &&
        (e.message as { role: string }).role === 'assistant',
    );
    assert.ok(created, 'the answer message is in the pages');
    assert.equal((created.message as { content: { text: string } }).content.text, answer);
    const done = all.find((e) => e.type === 'session_updated' && e.status === 'completed');
    assert.ok(done, 'the closing session_updated is in the pages');
    assert.equal((done.session as { response: { text: string } }).response.text, answer);
  });

  test('readers of the same large events at once (they share slices) each get all of them', async () => {
    const reads = await Promise.all(
      Array.from({ length: 4 }, () =>
        readAll(`/api/sessions/${ids.sessionId}`, (a) => `/api/sessions/${ids.sessionId}?after=${a}`),
      ),
    );
    for (const pages of reads)
      assert.deepEqual(
        pages.flatMap((p) => p.events),
        reference,
      );
  });

  test('the latest-session route and small pages give the same events', async () => {
    const path = `/api/conversations/${ids.conversationId}/sessions/latest?maxBytes=65536`;
    const pages = await readAll(path, (a) => `/api/sessions/${ids.sessionId}?after=${a}&maxBytes=65536`);
    assert.ok(pages.length > 20, `${pages.length} pages`);
    assert.deepEqual(
      pages.flatMap((p) => p.events),
      reference,
    );
  });

  test('GET …/events pages by bytes too and ends at lastSeq', async () => {
    const all: Ev[] = [];
    let lastSeq = 0;
    for (let after = 0; ; ) {
      const r = await s.api(
        'GET',
        `/api/conversations/${ids.conversationId}/events?after=${after}&maxBytes=200000`,
      );
      assert.equal(r.status, 200);
      assert.deepEqual(Object.keys(r.body), ['events', 'lastSeq'], 'the answer keeps its shape');
      assert.ok(Buffer.byteLength(r.text) <= 200_000 || r.body.events.length === 1, `${r.text.length} bytes`);
      all.push(...r.body.events);
      lastSeq = r.body.lastSeq;
      if (r.body.events.length === 0 || r.body.events.at(-1).seq >= lastSeq) break;
      after = r.body.events.at(-1).seq;
    }
    assert.equal(all.at(-1)?.seq, lastSeq, 'reading on reaches lastSeq');
    assert.deepEqual(
      all.filter((e) => e.sessionId === ids.sessionId),
      reference,
    );
    // Without parameters: bounded by GMGUI_PAGE_BYTES (1 MiB); with `limit` alone, that many events.
    const r = await s.api('GET', `/api/conversations/${ids.conversationId}/events`);
    assert.equal(r.status, 200);
    assert.ok(Buffer.byteLength(r.text) <= 1024 * 1024 || r.body.events.length === 1);
    assert.ok(r.body.events.at(-1).seq < r.body.lastSeq, 'more to read');
    const counted = await s.api('GET', `/api/conversations/${ids.conversationId}/events?limit=5000`);
    assert.equal(counted.body.events.at(-1).seq, counted.body.lastSeq, 'limit alone: every event up to it');
  });

  test('GET …/messages without limit is bounded: the huge answer alone, then `before` pages on', async () => {
    const r = await s.api('GET', `/api/conversations/${ids.conversationId}/messages`);
    assert.equal(r.status, 200);
    assert.equal(r.body.messages.length, 1, 'the newest message alone is over GMGUI_PAGE_BYTES');
    assert.equal(r.body.messages[0].content.text, answer);
    assert.equal(r.body.hasMore, true);
    const older = await s.api(
      'GET',
      `/api/conversations/${ids.conversationId}/messages?limit=10&before=${r.body.messages[0].id}`,
    );
    assert.deepEqual(
      older.body.messages.map((m: { role: string }) => m.role),
      ['user'],
    );
    assert.equal(older.body.hasMore, false);
  });

  test('bad paging parameters are a 400, an unknown session a 404', async () => {
    const sid = ids.sessionId;
    const cid = ids.conversationId;
    for (const q of [
      'after=-1',
      'after=abc',
      'after=1.5',
      'limit=0',
      'limit=5001',
      'maxBytes=10',
      'maxBytes=99999999999',
      'maxBytes=x',
    ])
      assertError(await s.api('GET', `/api/sessions/${sid}?${q}`), 400, 'invalid_request');
    for (const q of ['limit=0', 'maxBytes=100', 'maxBytes=99999999999', 'after=-1'])
      assertError(
        await s.api('GET', `/api/conversations/${cid}/sessions/latest?${q}`),
        400,
        'invalid_request',
      );
    for (const q of ['maxBytes=100', 'maxBytes=abc', 'limit=0', 'limit=10001'])
      assertError(await s.api('GET', `/api/conversations/${cid}/events?${q}`), 400, 'invalid_request');
    assertError(await s.api('GET', '/api/events?maxBytes=1'), 400, 'invalid_request');
    assertError(await s.api('GET', '/api/sessions/sess_nope?after=5'), 404);
    assertError(await s.api('GET', '/api/conversations/conv_nope/events?maxBytes=2048'), 404);
  });
});
