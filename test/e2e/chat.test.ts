// The web UI against a real server and the demo agent: sign-in, the new-conversation dialog, a
// full streamed answer (thought, plan, tool calls, diff, permission), XSS, Stop, keyboard,
// rename/delete/search. Screenshots of the main screens go to test-artifacts/.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  browserSuite,
  createConversation,
  DESKTOP,
  lastSessionId,
  norm,
  openConversation,
  PHONE,
  screenshot,
  send,
  useE2E,
  turn,
  waitFor,
  waitStatus,
  watchErrors,
} from './harness.ts';

browserSuite('web UI: chat', () => {
  const e2e = useE2E();

  test('without a token the page says how to get in', async () => {
    for (const [name, viewport] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      const context = await e2e.browser.newContext({ viewport });
      const page = await context.newPage();
      watchErrors(page, e2e.pageErrors);
      await page.goto(e2e.appUrl);
      const auth = page.locator('main.auth');
      await auth.waitFor();
      const text = (await auth.textContent()) ?? '';
      assert.match(text, /URL printed by the server/);
      assert.match(text, /npm start/);
      await screenshot(page, `${name}-signin`);
      await context.close();
    }
  });

  test('the token URL signs in and then leaves the address bar', async () => {
    const { context, page } = await e2e.newContext();
    assert.ok(!page.url().includes('token='), `token still in ${page.url()}`);
    // The cookie keeps working after a reload without the token.
    await page.reload();
    await page.locator('.sidebar').waitFor();
    await context.close();
  });

  test('new conversation dialog, then a full demo answer with a permission answered by a click', async () => {
    const { context, page } = await e2e.newContext();
    await screenshot(page, 'desktop-empty');
    await page.getByRole('button', { name: /New/ }).first().click();
    const dialog = page.locator('dialog.new-dialog');
    await dialog.waitFor();
    // Agents that are not installed are listed, greyed, with how to install them.
    await dialog.locator('label.agent').first().waitFor();
    const unavailable = dialog.locator('label.agent.unavailable');
    if ((await unavailable.count()) > 0) {
      assert.ok(await unavailable.first().locator('input').isDisabled());
    }
    await dialog.locator('input[type=radio][value=demo]').check();
    // The folder browser starts in the allowed root and lists its sub-folders.
    const folderInput = dialog.getByLabel('Working folder');
    await waitFor(async () => (await folderInput.inputValue()) === e2e.server.rootDir, 10_000, 'home folder');
    await dialog.getByLabel('Title (optional)').fill('Demo tour');
    await screenshot(page, 'desktop-new-dialog');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'phone-new-dialog');
    await page.setViewportSize(DESKTOP);
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.locator('.chat-title h2', { hasText: 'Demo tour' }).waitFor();

    await send(page, 'Show me what you can do');
    // The optimistic copy is replaced by the confirmed message: one bubble, never two.
    await page.locator('article.msg.user:not(.outbox)', { hasText: 'Show me what you can do' }).waitFor();
    const sid = await lastSessionId(page);
    const t = turn(page, sid);
    await t.locator('details.thought').waitFor();
    await t.locator('[data-tool-call-id="demo-read"]').waitFor();
    await t.locator('section.plan li').first().waitFor();
    const perm = t.locator('.permission');
    await perm.waitFor({ timeout: 20_000 });
    // The edit's diff is shown while the agent waits for the answer.
    await t.locator('[data-tool-call-id="demo-edit"] .diff .diff-line.add').first().waitFor();
    await screenshot(page, 'desktop-permission');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'phone-permission');
    await page.setViewportSize(DESKTOP);

    await perm.locator('[data-option-id="allow_once"]').click();
    await perm.waitFor({ state: 'detached' });
    await waitStatus(page, sid, 'completed');
    assert.equal(await t.locator('section.plan li[data-status="completed"]').count(), 3);
    assert.match((await t.locator('[data-tool-call-id="demo-edit"] .pill').textContent()) ?? '', /done/);
    // The thought is collapsible and holds the agent's reasoning.
    await t.locator('details.thought summary').first().click();
    assert.match((await t.locator('details.thought').first().textContent()) ?? '', /demonstration/);
    // Code blocks are highlighted and have a copy button.
    await t.locator('.code-block .copy-btn').first().waitFor();

    const r = await e2e.server.api('GET', `/api/sessions/${sid}`);
    assert.equal(r.status, 200);
    const dom = norm((await t.locator('.answer').allInnerTexts()).join('\n'));
    assert.equal(dom.split('You asked').length, 2, 'the answer is shown exactly once');
    assert.ok(dom.includes(norm('Things to try next:')));
    assert.ok(r.body.session.response.text.includes('Things to try next'));
    await screenshot(page, 'desktop-chat');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'phone-chat');
    await page.locator('.menu-btn').click();
    await page.locator('.app.drawer-open').waitFor();
    await page.waitForTimeout(300);
    await screenshot(page, 'phone-sidebar');
    await context.close();
  });

  test('HTML from the agent is shown as text and never runs', async () => {
    const { context, page } = await e2e.openNew('xss');
    await send(page, 'please /xss');
    const sid = await lastSessionId(page);
    await waitStatus(page, sid, 'completed');
    const t = turn(page, sid);
    const text = (await t.locator('.answer').first().textContent()) ?? '';
    assert.ok(text.includes('<img src=x onerror="window.__xss=1">'), text);
    assert.ok(text.includes('<script>window.__xss=2</script>'), text);
    assert.equal(await t.locator('img, script').count(), 0);
    const flag = await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss);
    assert.equal(flag, undefined);
    await context.close();
  });

  test('Esc stops a running answer: the turn ends cancelled', async () => {
    const { context, page } = await e2e.openNew('stop');
    await send(page, '/long');
    const sid = await lastSessionId(page);
    await turn(page, sid).locator('.answer').first().waitFor();
    await page.locator('.composer .stop').waitFor();
    await page.keyboard.press('Escape');
    await waitStatus(page, sid, 'cancelled');
    const r = await e2e.server.api('GET', `/api/sessions/${sid}`);
    assert.equal(r.body.session.status, 'cancelled');
    // A cancelled turn can be retried.
    await turn(page, sid).getByRole('button', { name: 'Retry' }).waitFor();
    await context.close();
  });

  test('keyboard: Shift+Enter adds a line, Enter sends, Alt+N opens the new dialog', async () => {
    const { context, page } = await e2e.openNew('keys');
    const box = page.locator('#composer-input');
    await box.click();
    await page.keyboard.type('line one');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('line two /quick');
    assert.equal(await box.inputValue(), 'line one\nline two /quick');
    await page.keyboard.press('Enter');
    await page.locator('article.msg.user:not(.outbox)', { hasText: 'line two' }).waitFor();
    assert.equal(await box.inputValue(), '');
    const sid = await lastSessionId(page);
    await waitStatus(page, sid, 'completed');
    await page.keyboard.press('Alt+N');
    await page.locator('dialog.new-dialog[open]').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('dialog.new-dialog').waitFor({ state: 'detached' });
    await context.close();
  });

  test('sidebar: search by title and content, rename, delete with confirmation', async () => {
    const { context, page } = await e2e.newContext();
    const a = await createConversation(e2e.server, 'Alpha project');
    const b = await createConversation(e2e.server, 'Beta notes');
    await openConversation(page, b);
    await send(page, 'zebra crossing /quick');
    await waitStatus(page, await lastSessionId(page), 'completed');
    const items = page.locator('.conv-list li.conv');
    // Newest first: the conversation with the latest message leads.
    await waitFor(
      async () => (await items.first().getAttribute('data-conversation-id')) === b,
      10_000,
      'newest first',
    );

    const search = page.getByLabel('Search conversations by title and content');
    await search.fill('alpha');
    await waitFor(async () => (await items.count()) === 1, 10_000, 'title search');
    assert.equal(await items.first().getAttribute('data-conversation-id'), a);
    await search.fill('zebra');
    await waitFor(async () => (await items.count()) === 1, 10_000, 'content search');
    assert.equal(await items.first().getAttribute('data-conversation-id'), b);
    await search.fill('');

    const item = page.locator(`li.conv[data-conversation-id="${a}"]`);
    await item.hover();
    await item.getByRole('button', { name: /Rename/ }).click();
    await page.getByLabel('New title').fill('Alpha renamed');
    await page.getByLabel('New title').press('Enter');
    await waitFor(
      async () =>
        (await e2e.server.api('GET', `/api/conversations/${a}`)).body.conversation.title === 'Alpha renamed',
    );
    await item.locator('.conv-title', { hasText: 'Alpha renamed' }).waitFor();

    await item.hover();
    await item.getByRole('button', { name: /Delete/ }).click();
    const confirm = page.locator('dialog[open]');
    await confirm.waitFor();
    await screenshot(page, 'desktop-delete-confirm');
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await item.waitFor({ state: 'detached' });
    assert.equal((await e2e.server.api('GET', `/api/conversations/${a}`)).status, 404);
    await context.close();
  });

  test('dark theme toggle', async () => {
    const { context, page } = await e2e.newContext();
    const toggle = page.locator('.side-head .icon-btn').first();
    await toggle.click(); // system → light
    await toggle.click(); // light → dark
    assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark');
    await screenshot(page, 'desktop-dark');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'phone-dark');
    await context.close();
  });
});
