// A command the agent runs, in a real browser (issues 11 and 14): its output grows in the tool card
// while it runs (terminal_output events over the live stream), ends with its exit code, and the
// workspace's Terminal tab shows it read-only next to the user's own shells. With a real agent
// process that runs the command in a client terminal (test/fixtures/agents/tools-agent.ts).

import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { test } from 'node:test';
import { toolsAgent } from '../agents/helpers.ts';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { tempDir } from '../helpers/temp.ts';
import {
  browserSuite,
  openConversation,
  screenshot,
  send,
  useE2E,
  waitStatus,
  lastSessionId,
} from './harness.ts';

const rootDir = realpathSync(tempDir('gmgui-e2e-agent-output-'));

browserSuite('web UI: the output of an agent command', () => {
  const e2e = useE2E({ rootDir, env: withAgentsFile([toolsAgent('tools', 'tools')]) });

  test('streams into the tool card, then its exit; read-only in the Terminal tab', async () => {
    const r = await e2e.server.api('POST', '/api/conversations', {
      agentId: 'tools',
      title: 'output',
      cwd: rootDir,
    });
    assert.equal(r.status, 201, r.text);
    const { context, page } = await e2e.newContext();
    await openConversation(page, r.body.conversation.id);
    await send(page, 'run echo first-line; sleep 2; echo second-line');
    const out = page.locator('.term-out');
    // The first line shows while the command still sleeps.
    await out.locator('.term-out-text', { hasText: 'first-line' }).waitFor();
    assert.equal(await out.getAttribute('data-state'), 'running');
    assert.doesNotMatch((await out.locator('.term-out-text').textContent()) ?? '', /second-line/);
    await screenshot(page, 'desktop-agent-output-running');
    await out.locator('.term-out-text', { hasText: 'second-line' }).waitFor();
    await out.locator('.term-out-exit', { hasText: 'exit 0' }).waitFor();
    await waitStatus(page, await lastSessionId(page), 'completed');

    // The same command in the workspace's Terminal tab, read-only.
    await page.locator('button.ws-toggle').click();
    await page.locator('.ws-tabs button', { hasText: 'Terminal' }).click();
    await page.locator('.ws-term-tab.agent button').first().click();
    const screen = page.locator('[data-agent-terminal]');
    await screen.locator('.xterm-rows', { hasText: 'second-line' }).waitFor();
    assert.match((await screen.locator('.xterm-rows').textContent()) ?? '', /first-line\s*second-line/);
    await screenshot(page, 'desktop-agent-output-terminal-tab');
    await context.close();
  });
});
