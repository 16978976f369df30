import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { tsAgent, withAgentsFile } from '../helpers/agents-file.ts';
import { ROOT } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';
import {
  browserSuite,
  DESKTOP,
  lastSessionId,
  openConversation,
  PHONE_TOUCH,
  phoneContext,
  screenshot,
  send,
  turn,
  useE2E,
  waitStatus,
} from './harness.ts';

// A day's work through the browser (issue 11), with real agent processes over ACP:
// - approving an edit from the permission card that shows its diff (test/fixtures/agents/
//   approval-agent.ts asks the way Gemini does: the diff comes with the request, no tool call before
//   it), then the remembered "always allow" rule and the auto-approve switch in Settings;
// - signing an agent in (test/fixtures/agents/session-agent.ts "auth": it refuses session/new with
//   ACP auth_required until `authenticate` ran): from the turn it refused ("Sign in and retry"),
//   and from the new-conversation picker, which says why the agent cannot be picked yet.
// Choosing a model before the first message is test/e2e/settings.test.ts.

const FIXTURES = join(ROOT, 'test', 'fixtures', 'agents');
const locked = (id: string, name: string) =>
  tsAgent(id, name, join(FIXTURES, 'session-agent.ts'), ['auth'], {
    // Each remembers its sign-in in its own folder, as real agents keep credentials on disk.
    FIXTURE_STATE_DIR: tempDir(`gmgui-${id}-state-`),
  });

browserSuite("a day's work in the browser", () => {
  const e2e = useE2E({
    env: {
      ...withAgentsFile([
        tsAgent('approval', 'Approval agent', join(FIXTURES, 'approval-agent.ts')),
        locked('locked', 'Locked agent'),
        locked('locked2', 'Second locked agent'),
      ]),
      // Only these agents and the demo: the picker's probe starts no agent of the developer's PATH.
      PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
    },
  });

  const create = async (agentId: string, title: string): Promise<string> => {
    const r = await e2e.server.api('POST', '/api/conversations', { agentId, title });
    assert.equal(r.status, 201, r.text);
    return r.body.conversation.id as string;
  };
  /** Sends `text` and answers the id of the turn it started (the page's next turn). */
  const sendForTurn = async (page: Page, text: string): Promise<string> => {
    const turns = page.locator('article.turn[data-session-id]');
    const before = await turns.count();
    await send(page, text);
    await turns.nth(before).waitFor();
    return (await turns.nth(before).getAttribute('data-session-id')) as string;
  };
  const openSettings = async (page: Page) => {
    await page.getByRole('button', { name: /^Settings/ }).click();
    const dialog = page.locator('dialog.settings-dialog');
    await dialog.waitFor();
    return dialog;
  };

  test('approve from the card that shows the diff; the rule it leaves is listed and removable; auto-approve', async () => {
    const notes = join(e2e.server.rootDir, 'notes.txt');
    writeFileSync(notes, 'old line\n');
    const id = await create('approval', 'Edits');
    const { page } = await e2e.newContext(DESKTOP);
    await openConversation(page, id);

    const sid = await sendForTurn(page, 'edit notes.txt');
    const card = turn(page, sid).locator('fieldset.permission');
    await card.waitFor({ timeout: 30_000 });
    // The card is the only place the edit is shown: the agent announced no tool call before asking.
    assert.equal(await turn(page, sid).locator('[data-tool-call-id]').count(), 0);
    assert.match((await card.locator('.perm-head').textContent()) ?? '', /Edit notes\.txt/);
    assert.equal(await card.locator('.perm-paths code').textContent(), notes);
    assert.match((await card.locator('.diff .diff-line.add').textContent()) ?? '', /new line/);
    assert.match((await card.locator('.diff .diff-line.del').textContent()) ?? '', /old line/);
    assert.equal(readFileSync(notes, 'utf8'), 'old line\n', 'nothing written before the answer');
    await screenshot(page, 'day-work-permission-diff-desktop');

    await card.locator('[data-option-id="always"]').click();
    await card.waitFor({ state: 'detached' });
    await waitStatus(page, sid, 'completed');
    assert.match((await turn(page, sid).locator('.answer').textContent()) ?? '', /wrote notes\.txt/);
    assert.equal(readFileSync(notes, 'utf8'), 'new line\n');
    const decided = turn(page, sid).locator('.perm-decided[data-decided-by="user"]');
    assert.match((await decided.textContent()) ?? '', /You chose “Always allow”/);

    // The rule answers the next edit without asking.
    const sid2 = await sendForTurn(page, 'edit second.txt');
    assert.notEqual(sid2, sid);
    await waitStatus(page, sid2, 'completed');
    await turn(page, sid2).locator('.perm-decided[data-decided-by="rule"]').waitFor();
    assert.equal(readFileSync(join(e2e.server.rootDir, 'second.txt'), 'utf8'), 'new line\n');

    // Settings lists it with where it applies; Remove revokes it on the server.
    let dialog = await openSettings(page);
    const rule = dialog.locator('li.rule[data-rule-key="kind:edit"]');
    await rule.waitFor();
    assert.match((await rule.textContent()) ?? '', /in “Edits”/);
    const autoSwitch = dialog.getByRole('switch');
    assert.equal(await autoSwitch.isChecked(), false);
    await screenshot(page, 'day-work-settings-desktop');
    await rule.getByRole('button', { name: /^Remove/ }).click();
    await rule.waitFor({ state: 'detached' });
    await dialog.locator('.rules-empty').waitFor();
    assert.deepEqual((await e2e.server.api('GET', '/api/permissions/rules')).body.rules, []);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });

    // Without the rule the agent asks again; rejected, nothing is written.
    const sid3 = await sendForTurn(page, 'edit third.txt');
    const card3 = turn(page, sid3).locator('fieldset.permission');
    await card3.waitFor({ timeout: 30_000 });
    await card3.locator('[data-option-id="reject"]').click();
    await waitStatus(page, sid3, 'completed');
    assert.match((await turn(page, sid3).locator('.answer').textContent()) ?? '', /not written/);
    assert.equal(existsSync(join(e2e.server.rootDir, 'third.txt')), false);

    // The auto-approve switch of this conversation: on, the next edit is allowed by it.
    dialog = await openSettings(page);
    await dialog.getByRole('switch').click();
    await dialog.locator('input[role="switch"]:checked').waitFor();
    const conv = await e2e.server.api('GET', `/api/conversations/${id}`);
    assert.equal(conv.body.conversation.settings.autoApprove, true);
    await dialog.getByRole('button', { name: 'Close' }).click();
    const sid4 = await sendForTurn(page, 'edit fourth.txt');
    await waitStatus(page, sid4, 'completed');
    await turn(page, sid4).locator('.perm-decided[data-decided-by="auto"]').waitFor();
    assert.equal(readFileSync(join(e2e.server.rootDir, 'fourth.txt'), 'utf8'), 'new line\n');
  });

  test('phone: a refused turn offers "Sign in and retry"; a refused method says why; signed in, the retry completes', async () => {
    const id = await create('locked', 'Locked');
    const context = await phoneContext(e2e.browser);
    try {
      const page = await context.newPage();
      await page.goto(`${e2e.appUrl}?token=${encodeURIComponent(e2e.server.token)}#/c/${id}`);
      await page.locator('.composer textarea:not([disabled])').waitFor();
      // On touch Enter adds a line: the Send button sends.
      await page.locator('#composer-input').fill('hello');
      await page.locator('.composer .send').tap();
      const sid = await lastSessionId(page);
      await waitStatus(page, sid, 'error');
      // After a reload too: the stored session carries the errorCode.
      await page.reload();
      await waitStatus(page, sid, 'error');
      const t = turn(page, sid);
      assert.match((await t.locator('.turn-error').textContent()) ?? '', /sign in/i);
      const signIn = t.getByRole('button', { name: 'Sign in and retry' });
      const box = await signIn.boundingBox();
      assert.ok(box && box.height >= 44, `Sign in and retry height ${box?.height}`);
      await screenshot(page, 'day-work-auth-required-phone');
      await signIn.click();

      const dialog = page.locator('dialog.sign-in-dialog');
      await dialog.waitFor();
      await dialog.locator('li.auth-method[data-method-id="token"]').waitFor();
      assert.match((await dialog.locator('li[data-method-id="token"]').textContent()) ?? '', /test token/);
      // A terminal method is explained with the exact command to run.
      const terminal = dialog.locator('li.auth-method[data-type="terminal"]');
      assert.match(
        (await terminal.locator('pre code').textContent()) ?? '',
        /^LOGIN_MODE=cli .* auth --login$/,
      );
      await screenshot(page, 'day-work-sign-in-phone');

      // The agent's own words when it refuses; nothing is retried.
      await dialog.locator('button[data-method-id="bad"]').click();
      await dialog.getByRole('alert').waitFor();
      assert.match((await dialog.getByRole('alert').textContent()) ?? '', /The password is wrong\./);
      assert.equal(await page.locator('article.turn').count(), 1);

      await dialog.locator('button[data-method-id="token"]').click();
      await dialog.waitFor({ state: 'detached', timeout: 30_000 });
      await page.locator('article.turn').nth(1).waitFor();
      const retried = await lastSessionId(page);
      assert.notEqual(retried, sid);
      await waitStatus(page, retried, 'completed');
      assert.match((await turn(page, retried).locator('.answer').textContent()) ?? '', /"prompt"/);
      assert.equal(await t.getByRole('button', { name: 'Sign in and retry' }).count(), 0, 'superseded');
      await screenshot(page, 'day-work-signed-in-phone');

      // Settings is reachable from the drawer on a phone, its controls touch-sized.
      await page.locator('.menu-btn').click();
      await page.locator('.app.drawer-open').waitFor();
      const settings = await openSettings(page);
      const row = await settings.locator('.switch-row').boundingBox();
      assert.ok(row && row.height >= 44, `auto-approve row height ${row?.height}`);
      await screenshot(page, 'day-work-settings-phone');
    } finally {
      await context.close();
    }
  });

  test('the new-conversation picker says an agent needs signing in, never preselects it, and signs it in', async () => {
    const { page } = await e2e.newContext(DESKTOP);
    await page.getByRole('button', { name: /New/ }).first().click();
    const dialog = page.locator('dialog.new-dialog');
    await dialog.waitFor();
    // The picker asks the server to start agents whose state is unknown (GET /api/agents?probe=1).
    const option = dialog.locator('label.agent[data-agent-id="locked2"][data-why-not="Needs sign-in"]');
    await option.waitFor({ timeout: 60_000 });
    assert.ok(await option.locator('input').isDisabled());
    assert.equal(await option.locator('input').isChecked(), false);
    assert.match((await option.textContent()) ?? '', /needs sign-in/);
    assert.ok(await dialog.locator('input[name="agent"]:checked').count(), 'a working agent is preselected');
    await screenshot(page, 'day-work-picker-desktop');
    await page.setViewportSize(PHONE_TOUCH);
    await screenshot(page, 'day-work-picker-phone-size');
    await page.setViewportSize(DESKTOP);

    await option.getByRole('button', { name: 'Sign in to Second locked agent' }).click();
    const signIn = page.locator('dialog.sign-in-dialog');
    await signIn.waitFor();
    await signIn.locator('button[data-method-id="token"]').waitFor();
    await screenshot(page, 'day-work-sign-in-desktop');
    await signIn.locator('button[data-method-id="token"]').click();
    await signIn.waitFor({ state: 'detached', timeout: 30_000 });
    const ready = dialog.locator('label.agent[data-agent-id="locked2"]:not([data-why-not])');
    await ready.waitFor();
    assert.equal(await ready.locator('input').isChecked(), true, 'the agent just signed in is picked');
    await dialog.getByLabel('Title (optional)').fill('Signed in');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.locator('.chat-title h2', { hasText: 'Signed in' }).waitFor();
    const sid = await sendForTurn(page, 'hello');
    await waitStatus(page, sid, 'completed');
  });
});
