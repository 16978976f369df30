import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tsAgent, withAgentsFile } from '../helpers/agents-file.ts';
import { tempDir } from '../helpers/temp.ts';
import { browserSuite, DESKTOP, PHONE_TOUCH, screenshot, send, useE2E, waitFor } from './harness.ts';

// "Continue an agent session" in the new-conversation dialog (issue 15): the sessions a real agent
// process (test/fixtures/agents/history-agent.ts) keeps for the folder are listed, paged; one is
// continued: its history shows as the conversation, and a message goes on in the same agent session.

const AGENT = join(import.meta.dirname, '..', 'fixtures', 'agents', 'history-agent.ts');
const rootDir = realpathSync(tempDir('gmgui-e2e-agent-sessions-root-'));
const stateDir = join(tempDir('gmgui-e2e-agent-sessions-state-'), 'agent');

browserSuite('web UI: continue an agent session', () => {
  const e2e = useE2E({
    rootDir,
    env: withAgentsFile([
      tsAgent('hist', 'History', AGENT, [], { FIXTURE_STATE_DIR: stateDir, FIXTURE_SESSIONS_CWD: rootDir }),
    ]),
  });

  test('the agent’s sessions are listed in the dialog; one is continued', async () => {
    const { page } = await e2e.newContext(DESKTOP);
    await page.getByRole('button', { name: /New/ }).first().click();
    const dialog = page.locator('dialog.new-dialog');
    await dialog.locator('input[type=radio][value=hist]').check();
    const folderInput = dialog.getByLabel('Working folder');
    await waitFor(async () => (await folderInput.inputValue()) === rootDir, 10_000, 'the root folder');
    const list = dialog.locator('fieldset.agent-sessions');
    await list.locator('li').first().waitFor({ timeout: 30_000 });
    // Follow the agent's pages until every session is shown.
    for (let i = 0; i < 5 && (await list.getByRole('button', { name: 'More' }).count()) > 0; i++) {
      const before = await list.locator('li').count();
      await list.getByRole('button', { name: 'More' }).click();
      await waitFor(async () => (await list.locator('li').count()) > before, 30_000, 'the next page');
    }
    const ids = await list
      .locator('li')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-agent-session')));
    for (const id of ['hist-parser', 'hist-readme', 'hist-old'])
      assert.ok(ids.includes(id), `${id} in ${ids}`);
    await list.scrollIntoViewIfNeeded();
    await screenshot(page, 'desktop-agent-sessions');
    await page.setViewportSize(PHONE_TOUCH);
    await list.scrollIntoViewIfNeeded();
    await screenshot(page, 'phone-agent-sessions');
    await page.setViewportSize(DESKTOP);

    await list.getByRole('button', { name: 'Continue “Fix the parser”' }).click();
    await page.locator('.chat-title h2', { hasText: 'Fix the parser' }).waitFor({ timeout: 30_000 });
    await page.getByText('Why does the parser fail on empty input?').waitFor();
    await page.getByText('Added test/parser.test.ts.').waitFor();
    await screenshot(page, 'desktop-agent-session-continued');

    await send(page, 'and now?');
    await page.getByText('session hist-parser turn 3: and now?').waitFor({ timeout: 30_000 });
    await page.setViewportSize(PHONE_TOUCH);
    await screenshot(page, 'phone-agent-session-continued');
  });
});
