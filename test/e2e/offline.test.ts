// Sends that cannot reach the server: the browser offline, the server stopped, the API failing
// across a reload. Each message is shown as "sending", kept in the IndexedDB outbox, retried with
// its idempotency key and, once the server is back, stored and shown exactly once.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  browserSuite,
  lastSessionId,
  screenshot,
  send,
  type E2E,
  useE2E,
  waitFor,
  waitStatus,
} from './harness.ts';
import { refuseSends } from './refuse-sends.ts';

async function storedCount(e2e: E2E, id: string, content: string): Promise<number> {
  const r = await e2e.server.api('GET', `/api/conversations/${id}/messages`);
  return (r.body.messages as Array<{ role: string; content: unknown }>).filter(
    (m) => m.role === 'user' && m.content === content,
  ).length;
}

async function shownCount(page: Page, content: string): Promise<number> {
  return page.locator('article.msg.user .user-text', { hasText: content }).count();
}

browserSuite('web UI: offline and server down', () => {
  const e2e = useE2E();

  test('browser offline: the message waits as "sending" and arrives exactly once', async () => {
    const { context, page, id } = await e2e.openNew('offline');
    await context.setOffline(true);
    await page.locator('.conn[data-conn="bad"]').waitFor();
    const text = 'written while offline /quick';
    await send(page, text);
    const pending = page.locator('article.outbox', { hasText: text });
    await pending.waitFor();
    assert.match((await pending.textContent()) ?? '', /Sending/);
    await screenshot(page, 'desktop-offline-sending');
    await page.waitForTimeout(1500);
    assert.equal(await storedCount(e2e, id, text), 0);
    await context.setOffline(false);
    await page.locator('article.msg.user:not(.outbox)', { hasText: text }).waitFor({ timeout: 20_000 });
    await pending.waitFor({ state: 'detached' });
    await waitStatus(page, await lastSessionId(page), 'completed');
    assert.equal(await shownCount(page, text), 1);
    assert.equal(await storedCount(e2e, id, text), 1);
    await context.close();
  });

  test('server stopped: send, restart, the message is stored once and the stream resumes', async () => {
    const { context, page, id } = await e2e.openNew('server down');
    await e2e.stopServer();
    await page.locator('.conn[data-conn="warn"]').waitFor({ timeout: 20_000 });
    const text = 'sent while the server was down /quick';
    await send(page, text);
    await page.locator('article.outbox', { hasText: text }).waitFor();
    await page.waitForTimeout(1000);
    await e2e.startServerAgain();
    await page.locator('article.msg.user:not(.outbox)', { hasText: text }).waitFor({ timeout: 30_000 });
    await waitStatus(page, await lastSessionId(page), 'completed', 30_000);
    await page.locator('.conn[data-conn="ok"]').waitFor({ timeout: 20_000 });
    assert.equal(await shownCount(page, text), 1);
    assert.equal(await storedCount(e2e, id, text), 1);
    await context.close();
  });

  test('server killed (-9) mid-answer: after restart the turn says interrupted, Retry runs it again', async () => {
    const { context, page } = await e2e.openNew('killed');
    await send(page, '/long');
    const sid = await lastSessionId(page);
    await page.locator(`article.turn[data-session-id="${sid}"] .answer`).first().waitFor();
    await e2e.killServer();
    await e2e.startServerAgain();
    await waitStatus(page, sid, 'interrupted', 30_000);
    await screenshot(page, 'desktop-interrupted');
    await page
      .locator(`article.turn[data-session-id="${sid}"]`)
      .getByRole('button', { name: 'Retry' })
      .click();
    // The retry is a new, visible turn under the same message; the interrupted one stays.
    await waitFor(
      async () => (await page.locator('article.turn[data-session-id]').count()) === 2,
      20_000,
      'retry turn',
    );
    const retried = await lastSessionId(page);
    assert.notEqual(retried, sid);
    await waitStatus(page, retried, 'completed', 30_000);
    assert.equal(
      await page.locator(`article.turn[data-session-id="${sid}"]`).getAttribute('data-status'),
      'interrupted',
    );
    await context.close();
  });

  test('the outbox survives a reload: still "sending" after it, sent once when the API answers again', async () => {
    const { context, page, id } = await e2e.openNew('reload outbox');
    // The API refuses to carry new messages (as if the connection broke for that request)...
    const refusal = await refuseSends(page);
    const text = 'kept across a reload /quick';
    await send(page, text);
    await page.locator('article.outbox', { hasText: text }).waitFor();
    await refusal.attempted();
    // ...and the page is reloaded: the unsent message is still there, still "sending".
    await page.reload();
    await page.locator('article.outbox', { hasText: text }).waitFor();
    await refusal.lift();
    await page.locator('article.msg.user:not(.outbox)', { hasText: text }).waitFor({ timeout: 30_000 });
    await waitStatus(page, await lastSessionId(page), 'completed');
    assert.equal(await shownCount(page, text), 1);
    assert.equal(await storedCount(e2e, id, text), 1);
    await context.close();
  });
});
