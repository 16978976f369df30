import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { assertError } from '../helpers/api-assert.ts';
import { type ServerHandle, useServer } from '../helpers/server.ts';
import {
  conversation,
  conversationEvents,
  fixtureAgent,
  type Json,
  newConversation,
  textOf,
  turn as completedTurn,
  waitFor,
} from './helpers.ts';

// Agent session config options through the real HTTP API and the fixture agent ("modes" mode offers
// a "model" select fast/smart): POST /api/conversations/{id}/config records the choice; the runner
// applies it with session/set_config_option at once when the agent runs, or when its session opens.

const ENV = { GMGUI_DEMO_STEP_MS: '1' };

function setConfig(s: ServerHandle, id: string, body: unknown) {
  return s.api('POST', `/api/conversations/${id}/config`, body);
}

/** The events of a completed turn. */
const turn = async (s: ServerHandle, conversationId: string, content: string): Promise<Json[]> =>
  (await completedTurn(s, conversationId, content)).events;

const current = (e: Json) => e.configOptions.map((o: Json) => [o.id, o.currentValue]);

describe('agent config options', () => {
  const s = useServer({
    env: { ...ENV, ...withAgentsFile([fixtureAgent('modes', 'modes'), fixtureAgent('plain', 'crash')]) },
  });

  test('a value chosen before the agent ever ran is applied when its session opens', async () => {
    const c = await newConversation(s, 'modes');
    const chosen = await setConfig(s, c.id, { configId: 'model', value: 'smart' });
    assert.equal(chosen.status, 200, chosen.text);
    assert.deepEqual(chosen.body.conversation.settings.configValues, { model: 'smart' });
    assert.equal(
      chosen.body.conversation.settings.configOptions,
      undefined,
      'not known before the agent ran',
    );
    assert.equal(chosen.body.conversation.version, c.version + 1);

    const events = await turn(s, c.id, 'which model');
    assert.equal(textOf(events), 'model smart');
    // The options the session opened with, then the agent's answer to set_config_option.
    const configs = events.filter((e: Json) => e.type === 'config');
    assert.deepEqual(configs.map(current), [[['model', 'fast']], [['model', 'smart']]]);

    const now = await conversation(s, c.id);
    assert.deepEqual(now.settings.configValues, { model: 'smart' });
    await waitFor('the agent options to be remembered', async () =>
      (await conversation(s, c.id)).settings.configOptions?.[0]?.currentValue === 'smart' ? true : null,
    );
    const opts = (await conversation(s, c.id)).settings.configOptions;
    assert.deepEqual(opts, [
      {
        id: 'model',
        name: 'Model',
        category: 'model',
        type: 'select',
        currentValue: 'smart',
        values: ['fast', 'smart'],
        choices: [
          { value: 'fast', name: 'Fast' },
          { value: 'smart', name: 'Smart' },
        ],
      },
    ]);
  });

  test('a live idle agent gets the value at once; the next turn runs with it', async () => {
    const c = await newConversation(s, 'modes');
    assert.equal(textOf(await turn(s, c.id, 'which model')), 'model fast');
    const r = await setConfig(s, c.id, { configId: 'model', value: 'smart' });
    assert.equal(r.status, 200, r.text);
    const e = await waitFor('an idle config event', async () =>
      (await conversationEvents(s, c.id)).find(
        (x) => x.type === 'config' && x.sessionId === null && x.configOptions[0]?.currentValue === 'smart',
      ),
    );
    assert.deepEqual(current(e), [['model', 'smart']]);
    assert.equal(textOf(await turn(s, c.id, 'which model')), 'model smart');
    // The same value again: nothing to do, no new version.
    const before = await conversation(s, c.id);
    const same = await setConfig(s, c.id, { configId: 'model', value: 'smart' });
    assert.equal(same.status, 200);
    assert.equal(same.body.conversation.version, before.version);
  });

  test('validation: 404, malformed body 400, an option or value the agent did not offer 400', async () => {
    const c = await newConversation(s, 'modes');
    await turn(s, c.id, 'hello');
    const before = await conversation(s, c.id);
    assertError(await setConfig(s, 'conv_missing', { configId: 'model', value: 'smart' }), 404, 'not_found');
    const unknown = await setConfig(s, c.id, { configId: 'effort', value: 'high' });
    assertError(unknown, 400, 'unknown_config_option');
    assert.match(unknown.body.error, /"model"/);
    const bad = await setConfig(s, c.id, { configId: 'model', value: 'huge' });
    assertError(bad, 400, 'invalid_config_value');
    assert.match(bad.body.error, /"fast", "smart"/);
    assertError(await setConfig(s, c.id, { configId: '', value: 'smart' }), 400, 'invalid_request');
    assertError(await setConfig(s, c.id, { configId: 'model', value: 5 }), 400, 'invalid_request');
    assertError(await setConfig(s, c.id, { configId: 'model' }), 400, 'invalid_request');
    assertError(
      await setConfig(s, c.id, { configId: 'model', value: 'smart', extra: 1 }),
      400,
      'invalid_request',
    );
    assertError(
      await s.api('PATCH', `/api/conversations/${c.id}`, { settings: { configValues: { model: 'smart' } } }),
      400,
    );
    assert.equal((await conversation(s, c.id)).version, before.version, 'nothing changed');
  });

  test('an agent without config options: a remembered value is dropped, later ones are refused', async () => {
    const c = await newConversation(s, 'plain');
    assert.equal((await setConfig(s, c.id, { configId: 'model', value: 'smart' })).status, 200);
    await turn(s, c.id, 'hello');
    const now = await conversation(s, c.id);
    assert.equal(now.settings.configValues, undefined);
    assert.deepEqual(now.settings.configOptions, []);
    assertError(
      await setConfig(s, c.id, { configId: 'model', value: 'smart' }),
      400,
      'unknown_config_option',
    );
  });
});
