import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserSuite, openConversation, useE2E, waitFor } from '../e2e/harness.ts';
import { type LongTurn, seedLongTurn } from './bounded-seed.ts';

// Issue 10: the web client follows the pages of a long turn's history (CONTRACT section 8, "Paged
// history") until `nextAfter` is null, in a real browser against the real server. Pages are kept small
// (GMGUI_PAGE_BYTES at its minimum) so a 3 MB turn takes dozens of them.

browserSuite('web UI: a long turn is read page by page', () => {
  let turn: LongTurn;
  const e2e = useE2E({
    env: { GMGUI_PAGE_BYTES: String(64 * 1024) },
    prepare: async ({ dataDir, rootDir }) => {
      turn = await seedLongTurn(dataDir, { cwd: rootDir, outputBytes: 3 * 1024 * 1024 });
    },
  });

  test('opening the conversation fetches every page of its latest turn, once each', async () => {
    // The pages as a client following them sees them: the cursors after the first page.
    const cursors: number[] = [];
    let r = await e2e.server.api('GET', `/api/conversations/${turn.conversationId}/sessions/latest`);
    while (typeof r.body.nextAfter === 'number') {
      cursors.push(r.body.nextAfter);
      r = await e2e.server.api('GET', `/api/sessions/${turn.sessionId}?after=${r.body.nextAfter}`);
    }
    assert.ok(cursors.length > 20, `a 3 MB turn in 64 KB pages: ${cursors.length + 1} pages`);

    const { context, page } = await e2e.newContext();
    const asked: number[] = [];
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (u.pathname.endsWith(`/api/sessions/${turn.sessionId}`) && u.searchParams.has('after')) {
        asked.push(Number(u.searchParams.get('after')));
      }
    });
    await openConversation(page, turn.conversationId);
    await waitFor(async () => asked.length >= cursors.length, 30_000, 'every page of the latest turn');
    // A moment for any request beyond the last page to show up.
    await new Promise((w) => setTimeout(w, 500));
    assert.deepEqual(asked, cursors, 'each page once, in order, and none after nextAfter was null');
    await context.close();
  });
});
