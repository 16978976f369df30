// A tab open while the server is killed and started again (docs/DESIGN.md "Process model"): the kept
// agent goes on, and the tab shows the answer continuing — without a reload, without a duplicate.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  browserSuite,
  lastSessionId,
  norm,
  openConversation,
  send,
  turn,
  useE2E,
  waitFor,
  waitStatus,
} from '../e2e/harness.ts';
import { keeperSetting, streamed } from './helpers.ts';

browserSuite('web UI: a turn outlives the server', () => {
  // Its own server (the browser harness's), on the keeper setting's folders.
  const { dataDir, rootDir, env } = keeperSetting();
  const e2e = useE2E({ dataDir, rootDir, env });

  test('the open tab shows the answer go on across kill -9 and restart', async () => {
    const { page } = await e2e.newContext();
    const r = await e2e.server.api('POST', '/api/conversations', {
      agentId: 'slow',
      cwd: rootDir,
      title: 'kept',
    });
    assert.equal(r.status, 201, r.text);
    await openConversation(page, r.body.conversation.id);
    await send(page, 'stream 60 100');
    const sid = await lastSessionId(page);
    const answer = turn(page, sid).locator('.answer');
    await waitFor(async () => (await answer.allInnerTexts()).join(' ').includes('c5 '), 20_000, 'c5');
    // Marks this very page: a reload would lose it.
    await page.evaluate(() => {
      (globalThis as unknown as { keptMarker: number }).keptMarker = 42;
    });
    await e2e.killServer();
    await new Promise((r) => setTimeout(r, 1000));
    await e2e.startServerAgain();
    await waitStatus(page, sid, 'completed', 40_000);
    const marker = await page.evaluate(() => (globalThis as unknown as { keptMarker?: number }).keptMarker);
    assert.equal(marker, 42, 'the page was not reloaded');
    const dom = (await answer.allInnerTexts()).join('\n');
    assert.equal(norm(dom), norm(streamed(60)));
  });
});
