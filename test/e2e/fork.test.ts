// Fork, edit-and-resend, import and usage totals in the web UI (issue 15; docs/CONTRACT.md "The
// agent's own sessions and forks", "Export and import"): against a real server and the demo agent.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { ROOT } from '../helpers/server.ts';
import {
  browserSuite,
  createConversation,
  lastSessionId,
  openConversation,
  PHONE_TOUCH,
  phoneContext,
  openWithToken,
  turn,
  useE2E,
  waitFor,
  waitStatus,
} from './harness.ts';

const SHOTS = join(ROOT, '.tmp', 'shots');

const hashOf = (page: Page): Promise<string> =>
  page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash);

browserSuite('web UI: fork, edit and resend, import, usage totals', () => {
  const e2e = useE2E();

  /** A demo conversation with the given questions, each answered before the next is sent. */
  async function conversationWith(title: string, questions: string[]): Promise<string> {
    const id = await createConversation(e2e.server, title);
    for (const [i, q] of questions.entries()) {
      const r = await e2e.server.api('POST', `/api/conversations/${id}/messages`, { content: q });
      assert.equal(r.status, 201);
      await waitFor(async () => (await messages(id)).length === (i + 1) * 2, 30_000, `the answer to ${q}`);
    }
    return id;
  }

  async function messages(id: string): Promise<{ id: string; role: string; content: unknown }[]> {
    const r = await e2e.server.api('GET', `/api/conversations/${id}/messages`);
    return r.body.messages;
  }

  /** The conversation the page shows, once it is another than `from`. */
  async function openedOtherThan(page: Page, from: string): Promise<string> {
    let now = '';
    await waitFor(
      async () => {
        now = decodeURIComponent((await hashOf(page)).replace(/^#\/c\//, ''));
        return now !== '' && now !== from && !now.startsWith('#');
      },
      20_000,
      'the new conversation to open',
    );
    await page.locator('.composer textarea:not([disabled])').waitFor();
    return now;
  }

  /** Sends from the composer and waits for the new turn's answer (copied turns are finished already). */
  async function sendAndWaitAnswer(page: Page, text: string): Promise<void> {
    const turns = page.locator('article.turn[data-session-id]');
    const before = await turns.count();
    const box = page.locator('#composer-input');
    await box.fill(text);
    await box.press('Enter');
    await waitFor(async () => (await turns.count()) > before, 20_000, 'the new turn');
    const sid = await lastSessionId(page);
    await waitStatus(page, sid, 'completed');
    await turn(page, sid).locator('.answer', { hasText: 'Quick answer' }).waitFor();
  }

  const userTexts = (page: Page) =>
    page.locator('.rows article.msg.user:not(.outbox) .user-text').allTextContents();

  test('fork from an earlier user message: its history, a fresh-session notice, a follow-up answered', async () => {
    const id = await conversationWith('to fork', ['first /quick', 'second /quick']);
    const [q1] = await messages(id);
    assert.ok(q1);
    const { page } = await e2e.newContext();
    await openConversation(page, id);
    await page.locator(`[data-fork-from="${q1.id}"]`).click();
    const fork = await openedOtherThan(page, id);
    await page.locator('.rows .user-text', { hasText: 'first /quick' }).waitFor();
    assert.deepEqual(await userTexts(page), ['first /quick']);
    const notice = page.locator('[data-fork-notice]');
    await notice.waitFor();
    const said = (await notice.textContent()) ?? '';
    assert.match(said, /fresh session/);
    assert.match(said, /earlier message/, 'the reason (not the latest message) in words');
    await page.screenshot({ path: join(SHOTS, 'fork-desktop-notice.png') });

    await sendAndWaitAnswer(page, 'follow-up /quick');
    assert.equal((await messages(fork)).length, 3);
    assert.equal((await messages(id)).length, 4, 'the original is unchanged');
  });

  test('fork from the latest answer: the whole history, the agent’s answer to why it starts afresh', async () => {
    const id = await conversationWith('fork an answer', ['alpha /quick', 'beta /quick']);
    const a2 = (await messages(id))[3];
    assert.ok(a2 && a2.role === 'assistant');
    const { page } = await e2e.newContext();
    await openConversation(page, id);
    // The action sits under the finished answer (the turn), not only under the messages.
    await page.locator(`article.turn [data-fork-from="${a2.id}"]`).click();
    const fork = await openedOtherThan(page, id);
    await page.locator('.rows .user-text', { hasText: 'beta /quick' }).waitFor();
    assert.deepEqual(await userTexts(page), ['alpha /quick', 'beta /quick']);
    assert.equal(await page.locator('.rows .answer', { hasText: 'Quick answer' }).count(), 2);
    assert.equal((await messages(fork)).length, 4);
    // The demo agent has no session/fork: said so, in words.
    const notice = page.locator('[data-fork-notice]');
    await notice.waitFor();
    assert.match((await notice.textContent()) ?? '', /fresh session.*cannot fork its sessions/);
    await page.screenshot({ path: join(SHOTS, 'fork-answer-desktop.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    // The phone layout's drawer slides away after a resize.
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(SHOTS, 'fork-answer-narrow.png') });
    // Dismissed, it stays away.
    await notice.locator('button').click();
    await notice.waitFor({ state: 'detached' });
  });

  test('edit a message: a fork before it, the old text in the composer, sent changed', async () => {
    const id = await conversationWith('to edit', ['one /quick', 'two /quick']);
    const all = await messages(id);
    const q2 = all[2];
    assert.ok(q2);
    const { page } = await e2e.newContext();
    await openConversation(page, id);
    await page.locator(`[data-edit-message="${q2.id}"]`).click();
    const fork = await openedOtherThan(page, id);
    await page.locator('.rows .user-text', { hasText: 'one /quick' }).waitFor();
    assert.deepEqual(await userTexts(page), ['one /quick'], 'the history ends before the edited message');
    const box = page.locator('#composer-input');
    await waitFor(
      async () => (await box.inputValue()) === 'two /quick',
      5000,
      'the old text in the composer',
    );
    await sendAndWaitAnswer(page, 'two, edited /quick');
    assert.deepEqual(
      (await messages(fork)).filter((m) => m.role === 'user').map((m) => m.content),
      ['one /quick', 'two, edited /quick'],
    );
    assert.equal((await messages(id)).length, 4, 'the original is unchanged');

    // The first message has nothing before it: a new conversation with the same agent and folder.
    const [q1] = all;
    assert.ok(q1);
    await openConversation(page, id);
    await page.locator(`[data-edit-message="${q1.id}"]`).click();
    const fresh = await openedOtherThan(page, id);
    await waitFor(
      async () => (await box.inputValue()) === 'one /quick',
      5000,
      'the first text in the composer',
    );
    assert.equal((await messages(fresh)).length, 0);
    const a = await e2e.server.api('GET', `/api/conversations/${id}`);
    const b = await e2e.server.api('GET', `/api/conversations/${fresh}`);
    assert.equal(b.body.conversation.agentId, a.body.conversation.agentId);
    assert.equal(b.body.conversation.cwd, a.body.conversation.cwd);
  });

  test('import from the sidebar: an export of a deleted conversation comes back; a broken file is refused in words', async () => {
    const id = await conversationWith('to import', ['exported /quick']);
    const exp = await fetch(`${e2e.server.base}/api/conversations/${id}/export?format=jsonl`, {
      headers: { authorization: `Bearer ${e2e.server.token}` },
    });
    assert.equal(exp.status, 200);
    const jsonl = await exp.text();
    assert.equal((await e2e.server.api('DELETE', `/api/conversations/${id}`)).status, 200);

    const { page } = await e2e.newContext();
    const input = page.locator('[data-import-input]');
    // A file cut short (no trailer) is refused, said in words, nothing opened.
    const cut = jsonl.split('\n').slice(0, 2).join('\n');
    await input.setInputFiles({
      name: 'cut.jsonl',
      mimeType: 'application/x-ndjson',
      buffer: Buffer.from(cut),
    });
    const err = page.locator('.notice.error', { hasText: 'Could not import “cut.jsonl”' });
    await err.waitFor();
    assert.ok(((await err.textContent()) ?? '').length > 40, 'the reason is given');
    await page.screenshot({ path: join(SHOTS, 'import-refused-desktop.png') });

    await input.setInputFiles({
      name: 'good.jsonl',
      mimeType: 'application/x-ndjson',
      buffer: Buffer.from(jsonl),
    });
    await page.locator('.rows .user-text', { hasText: 'exported /quick' }).waitFor();
    assert.equal(decodeURIComponent(await hashOf(page)), `#/c/${id}`);
    await page.locator(`.conv[data-conversation-id="${id}"]`).waitFor();
    assert.equal((await messages(id)).length, 2);
  });

  test('usage totals in the header; the actions at phone size with touch', async () => {
    const id = await createConversation(e2e.server, 'usage');
    const { page } = await e2e.newContext();
    await openConversation(page, id);
    const box = page.locator('#composer-input');
    await box.fill('Show me what you can do');
    await box.press('Enter');
    const sid = await lastSessionId(page);
    const perm = turn(page, sid).locator('.permission');
    await perm.waitFor({ timeout: 20_000 });
    await perm.locator('[data-option-id="allow_once"]').click();
    await waitStatus(page, sid, 'completed');
    // The demo reports 1200 + the prompt's length tokens in context, no cost.
    const totals = page.locator('[data-usage-totals]');
    await totals.waitFor();
    assert.match((await totals.textContent()) ?? '', /1\.2k tokens/);
    await page.screenshot({ path: join(SHOTS, 'usage-desktop.png') });

    const phone = await phoneContext(e2e.browser, { colorScheme: 'light' });
    try {
      const p = await openWithToken(phone, e2e.appUrl, e2e.server.token, e2e.pageErrors);
      await p.locator('.sidebar').waitFor({ state: 'attached' });
      await openConversation(p, id);
      await p.locator('.fork-btn').first().waitFor();
      const size = await p.locator('.fork-btn').first().boundingBox();
      assert.ok(size && size.height >= 44 && size.width >= 44, 'a finger-sized fork target');
      const edit = await p.locator('.edit-btn').first().boundingBox();
      assert.ok(edit && edit.height >= 44 && edit.width >= 44, 'a finger-sized edit target');
      assert.deepEqual(p.viewportSize(), PHONE_TOUCH);
      await p.screenshot({ path: join(SHOTS, 'fork-phone.png') });
      await p.locator('.menu-btn').click();
      await p.locator('.import-btn').waitFor();
      await p.waitForTimeout(300);
      await p.screenshot({ path: join(SHOTS, 'import-phone-sidebar.png') });
    } finally {
      await phone.close();
    }
  });
});
