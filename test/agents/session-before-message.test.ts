import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type AgentEntry, withAgentsFile } from '../helpers/agents-file.ts';
import { assertError } from '../helpers/api-assert.ts';
import { type ServerHandle, useServer, useServers } from '../helpers/server.ts';
import {
  conversation,
  conversationEvents,
  type Json,
  newConversation,
  sessionAgent,
  textOf,
  turn,
  waitFor,
} from './helpers.ts';

// Settings before the first message (issue 11) through the real server and real agent processes
// (test/fixtures/agents/session-agent.ts): POST …/agent-session opens the agent session without a
// prompt, so its options, modes and commands are in `settings`; a value chosen then reaches the agent
// before the first prompt, also after a restart; models offered the older way (`models` +
// `session/set_model`) are the same `model` option.

const open = (s: ServerHandle, id: string) => s.api('POST', `/api/conversations/${id}/agent-session`);
const setConfig = (s: ServerHandle, id: string, configId: string, value: string) =>
  s.api('POST', `/api/conversations/${id}/config`, { configId, value });

/** What the fixture agent saw, from its answer to a prompt. */
async function seen(s: ServerHandle, id: string): Promise<Json> {
  return JSON.parse(textOf((await turn(s, id, 'report')).events));
}

const GHOST: AgentEntry = { id: 'ghost', name: 'Ghost', command: '/nonexistent/ghost-agent', args: [] };
const AGENTS = [sessionAgent('config', 'config'), sessionAgent('models', 'models'), GHOST];

describe('settings before the first message', () => {
  const s = useServer({ env: withAgentsFile(AGENTS) });

  test('opening the session shows options, modes and commands; a chosen model reaches the agent before the first prompt', async () => {
    const c = await newConversation(s, 'config');
    assert.equal(c.settings.configOptions, undefined);
    const r = await open(s, c.id);
    assert.equal(r.status, 200, r.text);
    const opened = r.body.conversation;
    assert.ok(opened.acpSessionId, 'the ACP session is open');
    assert.deepEqual(opened.settings.configOptions, [
      {
        id: 'model',
        name: 'Model',
        category: 'model',
        type: 'select',
        currentValue: 'fast',
        values: ['fast', 'smart'],
        choices: [
          { value: 'fast', name: 'Fast', description: 'Quick answers' },
          { value: 'smart', name: 'Smart' },
        ],
      },
    ]);
    assert.deepEqual(
      opened.settings.availableModes.map((m: Json) => m.id),
      ['ask', 'code'],
    );
    const commands = await waitFor(
      'the commands to be remembered',
      async () => (await conversation(s, c.id)).settings.availableCommands,
    );
    assert.deepEqual(commands, [
      { name: 'review', description: 'Review the changes', hint: 'what to look at' },
      { name: 'init', description: 'Write AGENTS.md' },
    ]);
    // Opening again does nothing new: the session is open.
    const again = await open(s, c.id);
    assert.equal(again.status, 200);
    assert.equal(again.body.conversation.acpSessionId, opened.acpSessionId);

    assert.equal((await setConfig(s, c.id, 'model', 'smart')).status, 200);
    assert.equal((await s.api('POST', `/api/conversations/${c.id}/mode`, { modeId: 'code' })).status, 200);
    // The live agent gets the choice at once (an idle `config` event answers it).
    await waitFor('the agent to take the model', async () =>
      (await conversationEvents(s, c.id)).some(
        (e) => e.type === 'config' && e.sessionId === null && e.configOptions[0].currentValue === 'smart',
      ),
    );
    const report = await seen(s, c.id);
    assert.equal(report.model, 'smart');
    assert.equal(report.mode, 'code');
    const prompt = report.calls.indexOf('prompt');
    assert.ok(report.calls.indexOf('set_config_option:model=smart') < prompt, report.calls.join(', '));
    assert.equal(
      report.calls.filter((x: string) => x === 'session/new').length,
      1,
      'one session, no prompt to open it',
    );
  });

  test('models offered as `models` + session/set_model are the `model` option', async () => {
    const c = await newConversation(s, 'models');
    const r = await open(s, c.id);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.conversation.settings.configOptions, [
      {
        id: 'model',
        name: 'Model',
        category: 'model',
        type: 'select',
        currentValue: 'm-1',
        values: ['m-1', 'm-2'],
        choices: [
          { value: 'm-1', name: 'Model one' },
          { value: 'm-2', name: 'Model two', description: 'The better one' },
        ],
      },
    ]);
    assertError(await setConfig(s, c.id, 'model', 'm-9'), 400, 'invalid_config_value');
    assert.equal((await setConfig(s, c.id, 'model', 'm-2')).status, 200);
    const report = await seen(s, c.id);
    assert.equal(report.model, 'm-2');
    assert.ok(
      report.calls.indexOf('set_model:m-2') < report.calls.indexOf('prompt'),
      report.calls.join(', '),
    );
    const events = await conversationEvents(s, c.id);
    const configs = events.filter((e) => e.type === 'config').map((e) => e.configOptions[0].currentValue);
    assert.deepEqual(configs.slice(-1), ['m-2']);
    await waitFor(
      'the settings to follow',
      async () => (await conversation(s, c.id)).settings.configOptions[0].currentValue === 'm-2',
    );
  });

  test('validation: unknown conversation 404, an agent that cannot start 502', async () => {
    assertError(await open(s, 'conv_missing'), 404, 'not_found');
    // A conversation whose agent is not installed: a sentence saying so, not a 500.
    const c = await newConversation(s, 'ghost');
    const r = await open(s, c.id);
    assertError(r, 502, 'agent_failed');
    assert.match(r.body.error, /ghost-agent/);
  });
});

describe('settings chosen before the first message survive a restart', () => {
  const servers = useServers();

  test('a new server process applies them when it opens the session, before the first prompt', async () => {
    const env = withAgentsFile(AGENTS);
    const s1 = await servers.start({ env });
    const c = await newConversation(s1, 'config');
    assert.equal((await open(s1, c.id)).status, 200);
    assert.equal((await setConfig(s1, c.id, 'model', 'smart')).status, 200);
    await s1.stop();
    const s2 = await servers.restart(s1, { env });
    const kept = await conversation(s2, c.id);
    assert.deepEqual(kept.settings.configValues, { model: 'smart' });
    assert.equal(kept.settings.availableCommands.length, 2);
    const report = await seen(s2, c.id);
    assert.equal(report.model, 'smart');
    assert.deepEqual(report.calls, ['initialize', 'session/new', 'set_config_option:model=smart', 'prompt']);
  });
});
