// The app under a BASE_URL prefix (seed compatibility, reverse proxies): the page, its assets, the
// REST calls and both WebSockets all live under /gm, and /gm (no slash) still opens the app.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  browserSuite,
  createConversation,
  lastSessionId,
  openConversation,
  send,
  useE2E,
  waitStatus,
} from './harness.ts';

browserSuite('web UI: under BASE_URL=/gm', () => {
  const e2e = useE2E({ baseUrl: '/gm' });

  test('the prefixed app loads, talks to the API and streams', async () => {
    assert.ok(e2e.appUrl.endsWith('/gm/'), e2e.appUrl);
    const { context, page } = await e2e.newContext();
    // Without the trailing slash the server redirects, so relative URLs resolve under /gm/.
    await page.goto(e2e.appUrl.replace(/\/$/, ''));
    await page.locator('.sidebar').waitFor();
    assert.ok(new URL(page.url()).pathname === '/gm/', page.url());
    const id = await createConversation(e2e.server, 'prefixed');
    await page.locator(`li.conv[data-conversation-id="${id}"]`).waitFor();
    await openConversation(page, id);
    await send(page, 'hello /quick');
    await waitStatus(page, await lastSessionId(page), 'completed');
    await page.locator('.conn[data-conn="ok"]').waitFor();
    await context.close();
  });
});
