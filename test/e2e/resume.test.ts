// Never lose a word: a reload in the middle of a long answer ends with exactly the stored text, and
// a second browser (another context: other cookies, other tabs) sees the same conversation live,
// can answer the permission, and the card disappears from both.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ui from './harness.ts';

ui.browserSuite('web UI: resume and many tabs', () => {
  const e2e = ui.useE2E();

  test('reload in the middle of a long answer: exactly the stored text, nothing twice', async () => {
    const { context, page } = await e2e.openNew('long');
    await ui.send(page, '/long');
    const sid = await ui.lastSessionId(page);
    const answer = ui.turn(page, sid).locator('.answer');
    // Wait until it is well into the answer, then reload while it streams.
    await ui.waitFor(
      async () => (await answer.allInnerTexts()).join(' ').includes('Sentence 30 '),
      20_000,
      'sentence 30',
    );
    await page.reload();
    await ui.turn(page, sid).waitFor();
    assert.equal(
      await ui.turn(page, sid).getAttribute('data-status'),
      'processing',
      'the reload happened mid-answer',
    );
    // Once more, a little later, for a seam at a different place.
    await ui.waitFor(
      async () => (await answer.allInnerTexts()).join(' ').includes('Sentence 90 '),
      20_000,
      'sentence 90',
    );
    await page.reload();
    await ui.waitStatus(page, sid, 'completed', 30_000);

    const dom = (await ui.turn(page, sid).locator('.answer').allInnerTexts()).join('\n');
    const r = await e2e.server.api('GET', `/api/sessions/${sid}`);
    const stored: string = r.body.session.response.text;
    assert.equal(ui.norm(dom), ui.norm(stored));
    for (let i = 1; i < 200; i++) {
      const n = dom.split(`Sentence ${i} of`).length - 1;
      if (stored.includes(`Sentence ${i} of`)) assert.equal(n, 1, `sentence ${i} appears ${n} times`);
    }
    // And the events the page used are the stored ones: concatenated deltas equal the text.
    const deltas = (r.body.events as Array<{ type: string; text?: string }>)
      .filter((e) => e.type === 'text_delta')
      .map((e) => e.text)
      .join('');
    assert.equal(deltas, stored);
    await context.close();
  });

  test('a second browser sees the conversation live and answers the permission; the card leaves both', async () => {
    const a = await e2e.newContext();
    const b = await e2e.newContext();
    const id = await ui.createConversation(e2e.server, 'two tabs');
    // B learns about the new conversation through /sync, without a reload.
    await b.page.locator(`li.conv[data-conversation-id="${id}"]`).waitFor();
    await ui.openConversation(a.page, id);
    await ui.openConversation(b.page, id);
    await ui.send(a.page, 'Hello from tab A');
    await b.page.locator('article.msg.user', { hasText: 'Hello from tab A' }).waitFor();
    const sid = await ui.lastSessionId(a.page);
    const permA = ui.turn(a.page, sid).locator('.permission');
    const permB = ui.turn(b.page, sid).locator('.permission');
    await permA.waitFor({ timeout: 20_000 });
    await permB.waitFor({ timeout: 20_000 });
    await ui.screenshot(b.page, 'desktop-second-tab-permission');
    await permB.locator('[data-option-id="allow_once"]').click();
    await permB.waitFor({ state: 'detached' });
    await permA.waitFor({ state: 'detached' });
    await ui.waitStatus(a.page, sid, 'completed');
    await ui.waitStatus(b.page, sid, 'completed');
    const textA = ui.norm((await ui.turn(a.page, sid).locator('.answer').allInnerTexts()).join('\n'));
    const textB = ui.norm((await ui.turn(b.page, sid).locator('.answer').allInnerTexts()).join('\n'));
    assert.equal(textA, textB);
    assert.equal(await a.page.locator('article.msg.user', { hasText: 'Hello from tab A' }).count(), 1);
    assert.equal(await b.page.locator('article.msg.user', { hasText: 'Hello from tab A' }).count(), 1);

    // A rename in one browser shows in the other.
    await a.page.evaluate(
      async ([cid]) => {
        const g = globalThis as unknown as { gmgui: { rename(id: string, t: string): Promise<void> } };
        await g.gmgui.rename(cid as string, 'renamed in A');
      },
      [id],
    );
    await b.page
      .locator(`li.conv[data-conversation-id="${id}"] .conv-title`, { hasText: 'renamed in A' })
      .waitFor();
    await a.context.close();
    await b.context.close();
  });
});
