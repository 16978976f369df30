// Paged history: a long conversation opens with its newest page only, older pages load as the
// reader scrolls up, the reading position does not jump, and every message ends up shown once, in
// order.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { browserSuite, createConversation, openConversation, useE2E, waitFor } from './harness.ts';

const TURNS = 40; // 80 messages: the first page (50) leaves 30 on the server

browserSuite('web UI: paged history', () => {
  const e2e = useE2E();
  let id: string;
  before(async () => {
    id = await createConversation(e2e.server, 'long history');
    // One at a time, each answered before the next is sent: questions and answers alternate, so a
    // page never begins with an answer whose question is on the page before (such an answer is shown
    // alone until its question loads, then moves under it: a row that legitimately disappears).
    for (let i = 0; i < TURNS; i++) {
      const r = await e2e.server.api('POST', `/api/conversations/${id}/messages`, {
        content: `question ${i} /quick`,
      });
      assert.equal(r.status, 201);
      await waitFor(
        async () => {
          const m = await e2e.server.api('GET', `/api/conversations/${id}/messages`);
          return m.body.messages.length === (i + 1) * 2;
        },
        30_000,
        `answer ${i}`,
      );
    }
  });

  test('opens on the newest page; scrolling up brings the rest, in order, without a jump', async () => {
    const { context, page } = await e2e.newContext();
    const pages: string[] = [];
    page.on('request', (r) => {
      if (/\/messages(\?|$)/.test(r.url())) pages.push(new URL(r.url()).search);
    });
    await openConversation(page, id);
    const users = page.locator('.rows article.msg.user:not(.outbox) .user-text');
    await page.locator('.rows .user-text', { hasText: `question ${TURNS - 1} ` }).waitFor();
    assert.deepEqual(pages, ['?limit=50'], 'only the newest page is downloaded');
    assert.ok((await users.count()) < TURNS);

    const timeline = page.locator('section.timeline');
    // Scroll up step by step; at each step the row at the top of the screen stays where it was.
    for (let step = 0; step < 20; step++) {
      // Read in one go: older rows may still be arriving from the step before.
      const rowsBefore = await page.locator('.rows').evaluate((rows) => {
        const top = rows.querySelector('article.msg.user:not(.outbox) .user-text');
        return top?.textContent?.startsWith('question 0 ') ? null : rows.children.length;
      });
      if (rowsBefore === null) break;
      // The first question on screen: its row stays (an answer shown alone before its question arrives
      // is replaced by the whole turn, so a turn row is no fixed point to measure from).
      const first = await page.locator('.rows > .row[data-kind="user"]').first().elementHandle();
      assert.ok(first);
      // Measured from the top of the scrolling area (a banner above it may come and go meanwhile).
      // Scroll to the top and read where the row is, in one go: before any older row arrives.
      const y0 = await timeline.evaluate((el, row) => {
        el.scrollTop = 0;
        return row.getBoundingClientRect().top - el.getBoundingClientRect().top;
      }, first);
      await waitFor(
        async () => (await page.locator('.rows > .row').count()) > rowsBefore,
        // Generous: on a loaded 2-core machine the page, the service worker and the server share it.
        20_000,
        `older rows (step ${step})`,
      );
      // Read as painted: after a whole frame, whose resize observations hold the position too.
      const y1 = await timeline.evaluate(
        (el, row) =>
          new Promise<number>((done) =>
            el.ownerDocument.defaultView?.requestAnimationFrame(() =>
              el.ownerDocument.defaultView?.requestAnimationFrame(() =>
                done(row.getBoundingClientRect().top - el.getBoundingClientRect().top),
              ),
            ),
          ),
        first,
      );
      assert.ok(Math.abs(y1 - y0) <= 2, `the reading position jumped by ${y1 - y0} px`);
    }
    assert.ok(
      pages.some((p) => p.includes('before=')),
      'an older page was fetched',
    );
    const texts = (await users.allTextContents()).map((t) => t.trim());
    assert.deepEqual(
      texts,
      Array.from({ length: TURNS }, (_, i) => `question ${i} /quick`),
      'every question once, in order',
    );
    assert.equal(await page.locator('.rows article.turn[data-status="completed"]').count(), TURNS);
    assert.equal(await page.locator('.load-earlier').count(), 0, 'nothing left to load');
    await context.close();
  });
});
