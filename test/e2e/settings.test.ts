import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/server.ts';
import { tsAgent, withAgentsFile } from '../helpers/agents-file.ts';
import {
  browserSuite,
  DESKTOP,
  lastSessionId,
  openConversation,
  phoneContext,
  screenshot,
  send,
  useE2E,
  waitStatus,
} from './harness.ts';

// The agent's config options are controls in the composer's agent bar (issue 11): a real agent
// process (test/fixtures/agents/session-agent.ts, mode "config", offering a `model` select) opened
// before the first message (POST …/agent-session, which the client calls when a conversation opens),
// a model chosen in the page, and the server's conversation settings and the agent itself showing it.

const AGENT = tsAgent(
  'config',
  'Session config',
  join(ROOT, 'test', 'fixtures', 'agents', 'session-agent.ts'),
  ['config'],
);

browserSuite('agent settings in the composer', () => {
  const e2e = useE2E({ env: withAgentsFile([AGENT]) });

  test('a model chosen before the first message is applied, and the agent answers with it', async () => {
    const created = await e2e.server.api('POST', '/api/conversations', {
      agentId: 'config',
      title: 'Models',
    });
    assert.equal(created.status, 201, created.text);
    const id = created.body.conversation.id as string;
    const { page } = await e2e.newContext(DESKTOP);
    await openConversation(page, id);

    // The select appears without any message sent: the client opened the agent's session.
    const model = page.locator('select[name="config-model"]');
    await model.waitFor({ timeout: 30_000 });
    assert.equal(await model.inputValue(), 'fast');
    assert.deepEqual(await model.locator('option').allTextContents(), ['Fast', 'Smart']);
    assert.equal(
      (await e2e.server.api('GET', `/api/conversations/${id}/sessions`)).body.sessions.length,
      0,
      'no turn ran yet',
    );

    await model.selectOption('smart');
    await page.locator('select[name="config-model"][data-value="smart"]').waitFor();
    const after = await e2e.server.api('GET', `/api/conversations/${id}`);
    assert.equal(after.body.conversation.settings.configValues.model, 'smart');
    const opt = after.body.conversation.settings.configOptions.find((o: { id: string }) => o.id === 'model');
    assert.equal(opt.currentValue, 'smart');
    await screenshot(page, 'settings-model-desktop');

    // The first prompt runs with it: the fixture agent reports the model it has.
    await send(page, 'report');
    const sid = await lastSessionId(page);
    await waitStatus(page, sid, 'completed');
    const answer = await page.locator(`article.turn[data-session-id="${sid}"] .answer`).first().textContent();
    assert.match(answer ?? '', /"model":"smart"/);
  });

  test('on a phone the model picker is a 44 px touch target', async () => {
    const created = await e2e.server.api('POST', '/api/conversations', {
      agentId: 'config',
      title: 'Phone models',
    });
    const id = created.body.conversation.id as string;
    const context = await phoneContext(e2e.browser);
    try {
      const page = await context.newPage();
      await page.goto(`${e2e.appUrl}?token=${encodeURIComponent(e2e.server.token)}#/c/${id}`);
      const model = page.locator('select[name="config-model"]');
      await model.waitFor({ timeout: 30_000 });
      const box = await model.boundingBox();
      assert.ok(box && box.height >= 44, `model picker height ${box?.height}`);
      await screenshot(page, 'settings-model-phone');
    } finally {
      await context.close();
    }
  });
});
