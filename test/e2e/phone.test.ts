import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { tsAgent, withAgentsFile } from '../helpers/agents-file.ts';
import { ROOT } from '../helpers/server.ts';
import type { Browser, Locator, Page } from 'playwright-core';
import {
  browserSuite,
  createConversation,
  lastSessionId,
  openConversation,
  openWithToken,
  phoneContext,
  screenshot,
  turn,
  useE2E,
  waitStatus,
} from './harness.ts';

// Issue 13's "phone-grade UI" in a phone-sized Chromium with touch (pointer: coarse): Enter is a new
// line and Send sends, the drawer closes after creating a conversation, touch targets are at least
// 44 px, offline is said in words, Esc in the search box does not stop the agent.

/** Answers with the prompt's text: what the page makes of a given piece of agent Markdown. */
const ECHO = tsAgent('echo', 'Echo', join(ROOT, 'test', 'fixtures', 'agents', 'echo-h14.ts'));

async function phonePage(browser: Browser, appUrl: string, token: string): Promise<Page> {
  const page = await openWithToken(await phoneContext(browser), appUrl, token);
  await page.locator('.app').waitFor();
  return page;
}

async function assertTarget(what: string, l: Locator): Promise<void> {
  const box = await l.boundingBox();
  assert.ok(box, `${what} is visible`);
  assert.ok(box.height >= 44 && box.width >= 44, `${what} is ${box.width}×${box.height} px, under 44 px`);
}

browserSuite('phone-grade UI', () => {
  const e2e = useE2E({ env: { GMGUI_DEMO_LONG_MS: '15000', ...withAgentsFile([ECHO]) } });

  test('the drawer closes after creating a conversation; the empty state speaks of the menu', async () => {
    const page = await phonePage(e2e.browser, e2e.appUrl, e2e.server.token);
    const empty = page.locator('.empty');
    await empty.waitFor();
    // biome-ignore lint/performance/useDomNodeTextContent: the words shown (innerText skips hidden ones)
    const words = await empty.innerText();
    assert.match(words, /menu/);
    assert.doesNotMatch(words, /on the left|Alt|Ctrl/);
    await screenshot(page, 'phone-touch-empty');

    await page.locator('.menu-btn').tap();
    await page.locator('.app.drawer-open').waitFor();
    await page.locator('.sidebar .new-btn').tap();
    const dialog = page.locator('dialog.new-dialog');
    await dialog.locator('input[type=radio][value=demo]').check();
    await dialog.getByLabel('Title (optional)').fill('From the drawer');
    await dialog.getByRole('button', { name: 'Create' }).tap();
    await page.locator('.chat-title h2', { hasText: 'From the drawer' }).waitFor();
    await page.locator('.app:not(.drawer-open)').waitFor({ timeout: 5_000 });

    // Choosing one from the drawer closes it too.
    const other = await createConversation(e2e.server, 'Chosen');
    await page.locator('.menu-btn').tap();
    await page.locator('.app.drawer-open').waitFor();
    await page.locator(`[data-conversation-id="${other}"] .conv-open`).tap();
    await page.locator('.chat-title h2', { hasText: 'Chosen' }).waitFor();
    await page.locator('.app:not(.drawer-open)').waitFor({ timeout: 5_000 });
    await page.context().close();
  });

  test('on touch, Enter adds a line and the Send button sends', async () => {
    const id = await createConversation(e2e.server, 'Touch typing');
    const page = await phonePage(e2e.browser, e2e.appUrl, e2e.server.token);
    await openConversation(page, id);
    const box = page.locator('#composer-input');
    await box.tap();
    await page.keyboard.type('first line');
    await page.keyboard.press('Enter');
    await page.keyboard.type('second line');
    assert.equal(await box.inputValue(), 'first line\nsecond line');
    assert.equal(await page.locator('article.msg.user').count(), 0, 'Enter sent nothing');
    await screenshot(page, 'phone-touch-two-lines');
    await page.locator('.composer .send').tap();
    await page.locator('article.msg.user:not(.outbox)', { hasText: 'second line' }).waitFor();
    assert.equal(await box.inputValue(), '');
    await page.context().close();
  });

  test('touch targets are at least 44 px: rename, delete, copy, mode picker, permission buttons, Stop has a label', async () => {
    const id = await createConversation(e2e.server, 'Targets');
    const page = await phonePage(e2e.browser, e2e.appUrl, e2e.server.token);
    await openConversation(page, id);
    await page.locator('.composer .send').waitFor();
    await page.locator('#composer-input').fill('Show me what you can do');
    await page.locator('.composer .send').tap();
    const sid = await lastSessionId(page);
    const t = turn(page, sid);
    const perm = t.locator('.permission');
    await perm.waitFor({ timeout: 20_000 });
    // One status per turn: the header and the turn both say the agent waits for you.
    await page.locator('.chat-head [data-conversation-state="waiting"]').waitFor();
    assert.equal((await t.locator('.turn-status .pill').textContent())?.trim(), 'Waiting for you');
    const stop = page.locator('.composer .stop');
    // biome-ignore lint/performance/useDomNodeTextContent: the word must be shown, not only present
    assert.match(await stop.innerText(), /Stop/, 'Stop has its word on a phone');
    await assertTarget('Stop', stop);
    for (const b of await perm.locator('button').all())
      await assertTarget(`permission "${await b.textContent()}"`, b);
    await screenshot(page, 'phone-touch-permission');
    // What is asked is on the card: the file the edit touches (its diff is in the tool call above).
    assert.match((await perm.locator('.perm-paths').textContent()) ?? '', /NOTES\.md/);
    await perm.locator('[data-option-id="allow_once"]').tap();
    // Where the question was, who decided it.
    const decided = t.locator('.perm-decided[data-decided-by="user"]');
    await decided.waitFor();
    assert.match((await decided.textContent()) ?? '', /You chose “Allow once”/);
    await waitStatus(page, sid, 'completed');
    await assertTarget('copy', t.locator('.code-block .copy-btn').first());
    await assertTarget('mode picker', page.locator('.mode-pick select[name="mode"]'));

    await page.locator('.menu-btn').tap();
    await page.locator('.app.drawer-open').waitFor();
    await page.waitForTimeout(300);
    const item = page.locator(`[data-conversation-id="${id}"]`);
    await assertTarget('rename', item.getByRole('button', { name: /Rename/ }));
    await assertTarget('delete', item.getByRole('button', { name: /Delete/ }));
    await screenshot(page, 'phone-touch-drawer');
    await page.context().close();
  });

  test('offline is said in words; a queued message will send when back online; never "Done" while unsent', async () => {
    const id = await createConversation(e2e.server, 'Offline words');
    const page = await phonePage(e2e.browser, e2e.appUrl, e2e.server.token);
    await openConversation(page, id);
    await page.locator('#composer-input').fill('/mode');
    await page.locator('.composer .send').tap();
    await waitStatus(page, await lastSessionId(page), 'completed');
    await page.locator('.chat-head [data-conversation-state="completed"]').waitFor();

    await page.context().setOffline(true);
    const banner = page.locator('[data-offline-banner]');
    await banner.waitFor();
    assert.match((await banner.textContent()) ?? '', /offline/i);
    await page.locator('#composer-input').fill('written offline');
    await page.locator('.composer .send').tap();
    const queued = page.locator('article.msg.outbox', { hasText: 'written offline' });
    await queued.getByText(/will send when you're back online/).waitFor();
    assert.match((await banner.textContent()) ?? '', /will send when you're back online/);
    const state = page.locator('.chat-head [data-conversation-state]');
    assert.notEqual(await state.getAttribute('data-conversation-state'), 'completed');
    assert.doesNotMatch((await state.textContent()) ?? '', /Done/);
    await screenshot(page, 'phone-touch-offline');

    await page.context().setOffline(false);
    await banner.waitFor({ state: 'detached' });
    await page
      .locator('article.msg.user:not(.outbox)', { hasText: 'written offline' })
      .waitFor({ timeout: 20_000 });
    await page.context().close();
  });

  test('while the server is unreachable a running turn says so, and Stop is not offered', async () => {
    const { context, page } = await e2e.openNew('Unreachable');
    await page.locator('#composer-input').fill('/long');
    await page.locator('#composer-input').press('Enter');
    const sid = await lastSessionId(page);
    await waitStatus(page, sid, 'processing');
    await page.locator('.composer .stop').waitFor();
    await context.setOffline(true);
    const status = turn(page, sid).locator('.turn-status[data-unreachable]');
    await status.waitFor();
    assert.match((await status.textContent()) ?? '', /Server unreachable/);
    await page.locator('.chat-head [data-conversation-state="unreachable"]').waitFor();
    assert.equal(await page.locator('.composer .stop').count(), 0, 'no Stop that could not arrive');
    await page.locator('[data-offline-banner]').waitFor();
    await screenshot(page, 'desktop-unreachable-turn');
    await context.setOffline(false);
    await status.waitFor({ state: 'detached', timeout: 20_000 });
    await context.close();
  });

  test('Esc in the search box does not stop the agent; in the message box it does', async () => {
    const { context, page, id } = await e2e.openNew('Esc');
    await page.locator('#composer-input').fill('/long');
    await page.locator('#composer-input').press('Enter');
    const sid = await lastSessionId(page);
    await waitStatus(page, sid, 'processing');
    await page.locator('#search-input').focus();
    await page.keyboard.press('Escape');
    await page.waitForTimeout(500);
    const r = await e2e.server.api('GET', `/api/sessions/${sid}`);
    assert.equal(r.body.session.status, 'processing', 'Esc in the search box left the agent running');
    await page.locator('#composer-input').press('Escape');
    await waitStatus(page, sid, 'cancelled');
    assert.ok(id);

    // Retrying shows attempt 2 under the same message; the first attempt's Retry goes away.
    await turn(page, sid).getByRole('button', { name: 'Retry' }).click();
    const second = page.locator('article.turn[data-session-id]').nth(1);
    await second.waitFor();
    assert.match((await second.locator('.attempt').textContent()) ?? '', /Attempt 2/);
    await turn(page, sid).getByRole('button', { name: 'Retry' }).waitFor({ state: 'detached' });
    assert.equal(await page.locator('article.msg.user').count(), 1, 'one message, two attempts');
    await screenshot(page, 'desktop-retry-attempt-2');
    await page.locator('#composer-input').press('Escape');
    await context.close();
  });

  test('task lists in agent Markdown render as (read-only) checkboxes', async () => {
    const created = await e2e.server.api('POST', '/api/conversations', { agentId: 'echo', title: 'Tasks' });
    assert.equal(created.status, 201, created.text);
    const page = await phonePage(e2e.browser, e2e.appUrl, e2e.server.token);
    await openConversation(page, created.body.conversation.id);
    await page.locator('#composer-input').fill('Plan:\n\n- [x] read the notes\n- [ ] write the fix');
    await page.locator('.composer .send').tap();
    const sid = await lastSessionId(page);
    await waitStatus(page, sid, 'completed');
    const boxes = turn(page, sid).locator('.answer li > input[type="checkbox"]');
    await boxes.first().waitFor();
    assert.equal(await boxes.count(), 2);
    assert.deepEqual(
      await boxes.evaluateAll((els) =>
        els.map((e) => [e.hasAttribute('checked'), e.hasAttribute('disabled')]),
      ),
      [
        [true, true],
        [false, true],
      ],
    );
    await screenshot(page, 'phone-touch-task-list');
    await page.context().close();
  });

  test('a wrong token in the link says it was rejected', async () => {
    const context = await phoneContext(e2e.browser);
    const page = await context.newPage();
    await page.goto(`${e2e.appUrl}?token=not-the-token`);
    const said = page.locator('.auth-rejected');
    await said.waitFor();
    assert.match((await said.textContent()) ?? '', /rejected/);
    await screenshot(page, 'phone-touch-token-rejected');
    // Without a token in the link, nothing was rejected: no such sentence.
    await page.goto(e2e.appUrl);
    await page.locator('.auth').waitFor();
    assert.equal(await page.locator('.auth-rejected').count(), 0);
    await context.close();
  });

  test('"Show steps" is offered on an older turn only when it had steps', async () => {
    const { context, page, id } = await e2e.openNew('Steps');
    const patched = await e2e.server.api('PATCH', `/api/conversations/${id}`, {
      settings: { autoApprove: true },
    });
    assert.equal(patched.status, 200, patched.text);
    // A turn with steps (thoughts, tools, plan: auto-approved), then one with text only, then the newest.
    for (const prompt of ['Show me what you can do', '/quick', '/mode']) {
      await page.locator('#composer-input').fill(prompt);
      await page.locator('#composer-input').press('Enter');
      await page.locator('article.msg.user:not(.outbox)', { hasText: prompt }).waitFor();
      await waitStatus(page, await lastSessionId(page), 'completed', 30_000);
    }
    // Reloaded, the older turns are their answers only (their steps load on demand).
    await page.reload();
    await page.locator('article.turn[data-session-id]').nth(2).waitFor();
    const turns = page.locator('article.turn[data-session-id]');
    assert.equal(await turns.nth(0).getByRole('button', { name: 'Show steps' }).count(), 1);
    assert.equal(await turns.nth(1).getByRole('button', { name: 'Show steps' }).count(), 0);
    await turns.nth(0).getByRole('button', { name: 'Show steps' }).click();
    await turns.nth(0).locator('details.thought').waitFor();
    await context.close();
  });
});
