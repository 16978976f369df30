// The agent's side of the composer and the turn states around it, against the demo agent: a message
// sent while another answer runs waits as "queued"; the mode picker switches the agent's mode and
// every tab follows; slash-commands are suggested. ("Stopping…" is unit-tested: with the demo agent
// it lasts a few milliseconds.)

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import * as ui from './harness.ts';

/** The id of the newest turn once it is not `previous` (a just-sent message got its turn). */
async function nextSessionId(page: Page, previous: string): Promise<string> {
  await ui.waitFor(async () => (await ui.lastSessionId(page)) !== previous, 10_000, 'a new turn');
  return ui.lastSessionId(page);
}

ui.browserSuite('web UI: queue, modes, commands', () => {
  // A slower /long answer, so the queued state is there long enough to be seen for sure.
  const e2e = ui.useE2E({ env: { GMGUI_DEMO_LONG_MS: '6000' } });

  test('a message sent during an answer shows queued until the first turn finishes', async () => {
    const { context, page } = await e2e.openNew('queue');
    await ui.send(page, '/long');
    const first = await ui.lastSessionId(page);
    await ui.waitStatus(page, first, 'processing');
    await ui.send(page, 'then this /quick');
    // The second turn exists (its message was stored) and waits behind the first.
    await page.locator('article.msg.user:not(.outbox)', { hasText: 'then this' }).waitFor();
    const second = await nextSessionId(page, first);
    await ui.waitStatus(page, second, 'pending');
    assert.match((await ui.turn(page, second).locator('.turn-status .pill').textContent()) ?? '', /Queued/);
    assert.equal(await ui.turn(page, first).getAttribute('data-status'), 'processing');
    await ui.screenshot(page, 'desktop-queued');
    // The queued turn starts only after the first one ended, then answers.
    await ui.waitStatus(page, first, 'completed', 30_000);
    await ui.waitStatus(page, second, 'completed', 30_000);
    const a = (await e2e.server.api('GET', `/api/sessions/${first}`)).body.session;
    const b = (await e2e.server.api('GET', `/api/sessions/${second}`)).body.session;
    assert.ok(b.started_at >= a.completed_at, 'the queued turn ran after the first');
    await context.close();
  });

  test('mode picker: plan chosen in one tab shows in the other, and the agent works in it', async () => {
    const a = await e2e.newContext();
    const b = await e2e.newContext();
    const id = await ui.createConversation(e2e.server, 'modes');
    await ui.openConversation(a.page, id);
    // No agent ran yet: the modes are unknown, no picker.
    assert.equal(await a.page.locator('select[name=mode]').count(), 0);
    await ui.send(a.page, '/quick');
    const quick = await ui.lastSessionId(a.page);
    await ui.waitStatus(a.page, quick, 'completed');
    const pickA = a.page.locator('select[name=mode]');
    await a.page.locator('select[name=mode][data-mode="default"]').waitFor();

    await ui.openConversation(b.page, id);
    await b.page.locator('select[name=mode][data-mode="default"]').waitFor();

    await pickA.selectOption('plan');
    await b.page.locator('select[name=mode][data-mode="plan"]').waitFor({ timeout: 10_000 });
    assert.equal(await b.page.locator('select[name=mode]').inputValue(), 'plan');
    await a.page.locator('select[name=mode][data-mode="plan"]').waitFor();
    await ui.screenshot(a.page, 'desktop-mode-plan');

    // The agent runs in the chosen mode (it is told at its next turn if it is not running now).
    await ui.send(b.page, '/mode');
    const sid = await nextSessionId(b.page, quick);
    await ui.waitStatus(b.page, sid, 'completed');
    const answer = ((await ui.turn(b.page, sid).locator('.answer').first().textContent()) ?? '').trim();
    assert.equal(answer, 'I am in the plan mode.');
    assert.equal(
      (await e2e.server.api('GET', `/api/conversations/${id}`)).body.conversation.settings.modeId,
      'plan',
    );
    // And back from the other tab.
    await b.page.locator('select[name=mode]').selectOption('default');
    await a.page.locator('select[name=mode][data-mode="default"]').waitFor({ timeout: 10_000 });
    await a.context.close();
    await b.context.close();
  });

  test('typing / suggests the agent commands; Tab completes', async () => {
    const { context, page } = await e2e.openNew('commands');
    await ui.send(page, '/quick');
    await ui.waitStatus(page, await ui.lastSessionId(page), 'completed');
    const box = page.locator('#composer-input');
    await box.fill('/mo');
    const list = page.locator('[role=listbox][aria-label="Agent commands"]');
    await list.waitFor();
    assert.deepEqual(
      await list
        .locator('[role=option]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-command'))),
      ['mode'],
    );
    await ui.screenshot(page, 'desktop-commands');
    await box.press('Tab');
    assert.equal(await box.inputValue(), '/mode ');
    await list.waitFor({ state: 'detached' });
    // Esc closes the list without touching the text (and without stopping anything).
    await box.fill('/');
    await list.waitFor();
    await box.press('Escape');
    await list.waitFor({ state: 'detached' });
    assert.equal(await box.inputValue(), '/');
    await context.close();
  });
});
