import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/server.ts';
import {
  browserSuite,
  openWithToken,
  PHONE_TOUCH,
  phoneContext,
  send,
  useE2E,
  waitFor,
} from '../e2e/harness.ts';

// The "Export" menu of a conversation's header, in Chromium: both downloads arrive, named after the
// conversation, with what the API serves; on a phone the menu fits the screen.

const SHOTS = join(ROOT, '.tmp', 'shots');

browserSuite('web UI: export a conversation', () => {
  const e2e = useE2E();

  test('Markdown and JSONL downloads from the header menu, on desktop and on a phone', async () => {
    const { page, id, context } = await e2e.openNew('Export from the UI');
    await send(page, 'hello /quick');
    await waitFor(
      async () =>
        (await e2e.server.api('GET', `/api/conversations/${id}/messages`)).body.messages.length === 2,
      30_000,
      'the answer',
    );
    for (const [format, pattern] of [
      ['Markdown', /^# Export from the UI\n/],
      ['JSONL', /^\{"format":"gmgui\.conversation","version":1,/],
    ] as const) {
      await page.locator('[data-export-menu] summary').click();
      await page.screenshot({ path: join(SHOTS, `export-menu-desktop.png`) }).catch(() => undefined);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('menuitem', { name: new RegExp(`Export as ${format}`) }).click(),
      ]);
      assert.match(download.suggestedFilename(), new RegExp(`^conversation-${id}\\.(md|jsonl)$`));
      const text = await readFile(await download.path(), 'utf8');
      assert.match(text, pattern);
      assert.equal(await page.locator('[data-export-menu][open]').count(), 0, 'the menu closes');
    }
    await context.close();

    const phoneCtx = await phoneContext(e2e.browser);
    const phone = { context: phoneCtx, page: await openWithToken(phoneCtx, e2e.appUrl, e2e.server.token) };
    await phone.page.evaluate((hash) => {
      (globalThis as unknown as { location: { hash: string } }).location.hash = hash;
    }, `#/c/${id}`);
    await phone.page.locator('[data-export-menu] summary').click();
    const box = await phone.page.locator('.export-menu-list').boundingBox();
    assert.ok(
      box && box.x >= 0 && box.x + box.width <= PHONE_TOUCH.width,
      `the menu fits the phone: ${JSON.stringify(box)}`,
    );
    await phone.page.screenshot({ path: join(SHOTS, 'export-menu-phone.png') }).catch(() => undefined);
    await phone.context.close();
  });
});
