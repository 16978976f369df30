import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { assertError } from '../helpers/api-assert.ts';
import { restartServer, type ServerHandle, useServer } from '../helpers/server.ts';
import type { Json } from './helpers.ts';
import * as h from './helpers.ts';

// Agent modes through the real HTTP API and real agent processes: POST /api/conversations/{id}/mode
// records the choice; the runner applies it with session/set_mode at once when the agent runs, or
// when the agent session next opens. Every `mode` event carries {currentModeId, availableModes}.

const DEMO_MODES = ['default', 'plan'];
const ENV = { GMGUI_DEMO_STEP_MS: '1', GMGUI_DEMO_LONG_MS: '30000', GMGUI_DEMO_LONG_CHUNKS: '200' };

function setMode(s: ServerHandle, id: string, modeId: unknown) {
  return s.api('POST', `/api/conversations/${id}/mode`, { modeId });
}

/** A `mode` event outside any turn: the agent switched while idle. */
function idleModeEvent(s: ServerHandle, conversationId: string, modeId: string): Promise<Json> {
  return h.waitFor(`an idle mode event "${modeId}"`, async () =>
    (await h.conversationEvents(s, conversationId)).find(
      (e) => e.type === 'mode' && e.sessionId === null && e.currentModeId === modeId,
    ),
  );
}

const ids = (modes: Json[]) => modes.map((m: Json) => m.id);

describe('agent modes', () => {
  const s = useServer({
    env: { ...ENV, ...withAgentsFile([h.fixtureAgent('modes', 'modes'), h.fixtureAgent('plain', 'crash')]) },
  });

  test('a mode chosen before the agent ever ran is applied when its session opens', async () => {
    const c = await h.newConversation(s, 'demo');
    const chosen = await setMode(s, c.id, 'plan');
    assert.equal(chosen.status, 200, chosen.text);
    assert.equal(chosen.body.conversation.settings.modeId, 'plan');
    assert.equal(
      chosen.body.conversation.settings.availableModes,
      undefined,
      'not known before the agent ran',
    );
    assert.equal(chosen.body.conversation.version, c.version + 1);

    const { events } = await h.turn(s, c.id, '/mode');
    assert.equal(h.textOf(events), 'I am in the **plan** mode.');
    const modes = events.filter((e: Json) => e.type === 'mode');
    // The state the session opened with, then the switch; both with the full list.
    assert.deepEqual(
      modes.map((e: Json) => e.currentModeId),
      ['default', 'plan'],
    );
    for (const e of modes) assert.deepEqual(ids(e.availableModes), DEMO_MODES);
    assert.equal(modes[0].availableModes[1].name, 'Plan');

    const now = await h.conversation(s, c.id);
    assert.equal(now.settings.modeId, 'plan');
    assert.deepEqual(ids(now.settings.availableModes), DEMO_MODES);
  });

  test('validation: unknown conversation 404, malformed body 400, a mode the agent did not offer 400', async () => {
    const c = await h.newConversation(s, 'demo');
    await h.turn(s, c.id, '/quick');
    const before = await h.conversation(s, c.id);
    assertError(await setMode(s, 'conv_missing', 'plan'), 404, 'not_found');
    const offered = await setMode(s, c.id, 'yolo');
    assertError(offered, 400, 'unknown_mode');
    assert.match(offered.body.error, /"default", "plan"/);
    assertError(await setMode(s, c.id, ''), 400, 'invalid_request');
    assertError(await setMode(s, c.id, 5), 400, 'invalid_request');
    assertError(await s.api('POST', `/api/conversations/${c.id}/mode`, {}), 400, 'invalid_request');
    assertError(
      await s.api('POST', `/api/conversations/${c.id}/mode`, { modeId: 'plan', extra: true }),
      400,
      'invalid_request',
    );
    assertError(
      await s.api('POST', `/api/conversations/${c.id}/mode`, '{"modeId":', {
        'content-type': 'application/json',
      }),
      400,
    );
    // Mode state is not settable through PATCH.
    assertError(await s.api('PATCH', `/api/conversations/${c.id}`, { settings: { modeId: 'plan' } }), 400);
    assert.equal((await h.conversation(s, c.id)).version, before.version, 'nothing changed');
    // The current mode again: nothing to do, no new version.
    const same = await setMode(s, c.id, 'default');
    assert.equal(same.status, 200);
    assert.equal(same.body.conversation.version, before.version);
  });

  test('an agent without modes: a remembered choice is dropped when it starts, later ones are refused', async () => {
    const c = await h.newConversation(s, 'plain');
    assert.equal((await setMode(s, c.id, 'fast')).status, 200);
    await h.turn(s, c.id, 'hello');
    const now = await h.conversation(s, c.id);
    assert.equal(now.settings.modeId, undefined);
    assert.deepEqual(now.settings.availableModes, []);
    assertError(await setMode(s, c.id, 'fast'), 400, 'no_modes');
  });

  test('a live idle agent switches at once; the next turns run in the new mode', async () => {
    const c = await h.newConversation(s, 'demo');
    await h.turn(s, c.id, '/quick');
    assert.equal((await setMode(s, c.id, 'plan')).status, 200);
    const e = await idleModeEvent(s, c.id, 'plan');
    assert.deepEqual(ids(e.availableModes), DEMO_MODES);
    assert.equal(h.textOf((await h.turn(s, c.id, '/mode')).events), 'I am in the **plan** mode.');
    // In plan mode the demo proposes its edit but never asks to make it.
    const planned = await h.turn(s, c.id, 'Please tidy the notes');
    assert.ok(!planned.events.some((x: Json) => x.type === 'permission_requested'));
    assert.match(h.textOf(planned.events), /Plan mode/);
  });

  test('during a turn the agent switches at once and the mode event belongs to that turn', async () => {
    const c = await h.newConversation(s, 'demo');
    const long = await h.send(s, c.id, '/long');
    await h.eventOf(s, long.id, 'text_delta');
    assert.equal((await setMode(s, c.id, 'plan')).status, 200);
    const e = await h.eventOf(s, long.id, 'mode', (x) => x.currentModeId === 'plan');
    assert.deepEqual(ids(e.availableModes), DEMO_MODES);
    assert.equal((await s.api('POST', `/api/sessions/${long.id}/cancel`)).status, 202);
    assert.equal((await h.finished(s, long.id)).session.status, 'cancelled');
    assert.equal((await h.conversation(s, c.id)).settings.modeId, 'plan');
  });

  test('the agent switching by itself, set_mode without an update, and a refused mode', async () => {
    const c = await h.newConversation(s, 'modes');
    const first = await h.turn(s, c.id, 'hello');
    assert.match(h.textOf(first.events), /^mode ask; /);
    assert.deepEqual(ids((await h.conversation(s, c.id)).settings.availableModes), ['ask', 'code', 'locked']);
    // Configuration options are shown (a `config` event with the full list); config-options.test.ts sets them.
    const config = first.events.find((x: Json) => x.type === 'config');
    assert.deepEqual(
      config.configOptions.map((o: Json) => [o.id, o.currentValue]),
      [['model', 'fast']],
    );

    // The agent changes its own mode: the event gets the list, and the conversation follows.
    const switched = await h.turn(s, c.id, 'switch code');
    const e = switched.events.find((x: Json) => x.type === 'mode' && x.currentModeId === 'code');
    assert.deepEqual(ids(e.availableModes), ['ask', 'code', 'locked']);
    await h.waitFor('the conversation to follow the agent', async () =>
      (await h.conversation(s, c.id)).settings.modeId === 'code' ? true : null,
    );

    // This agent accepts set_mode silently: gmgui records the mode event itself.
    assert.equal((await setMode(s, c.id, 'ask')).status, 200);
    await idleModeEvent(s, c.id, 'ask');

    // Offered but refused by the agent: the conversation goes back to the agent's real mode.
    const refused = await setMode(s, c.id, 'locked');
    assert.equal(refused.status, 200);
    assert.equal(refused.body.conversation.settings.modeId, 'locked');
    await h.waitFor('the refusal to be recorded', async () => {
      const now = await h.conversation(s, c.id);
      return now.version > refused.body.conversation.version && now.settings.modeId === 'ask';
    });
    assert.match(h.textOf((await h.turn(s, c.id, 'hello')).events), /^mode ask; /);
  });
});

describe('agent modes across a restart', () => {
  const a = useServer({ env: ENV });

  test('the new agent process loads the session in its default mode and is switched back', async () => {
    const c = await h.newConversation(a, 'demo');
    await h.turn(a, c.id, '/quick');
    assert.equal((await setMode(a, c.id, 'plan')).status, 200);
    await idleModeEvent(a, c.id, 'plan');
    await a.stop();

    const b = await restartServer(a, { env: ENV });
    try {
      const { events } = await h.turn(b, c.id, '/mode');
      assert.equal(h.textOf(events), 'I am in the **plan** mode.');
      assert.deepEqual(
        events.filter((e: Json) => e.type === 'mode').map((e: Json) => e.currentModeId),
        ['default', 'plan'],
      );
    } finally {
      await b.stop();
    }
  });
});
