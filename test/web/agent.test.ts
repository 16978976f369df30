// The agent's modes, commands, configuration and usage, and the "stopping" state of a turn.

import { describe, expect, it } from 'vitest';
import { commandQuery, matchCommands } from '../../web/src/lib/commands';
import { configControls, configLabel } from '../../web/src/state/agent';
import {
  applyEvent,
  applyEvents,
  hydrateSession,
  initView,
  setConversation,
} from '../../web/src/state/conversation';
import type { Conversation } from '../../web/src/types';
import { CID, ev, session, turnEvents } from './fixtures';

const MODES = [
  { id: 'default', name: 'Default', description: 'Ask before editing files' },
  { id: 'plan', name: 'Plan' },
];

function conv(version: number, settings: Conversation['settings']): Conversation {
  return {
    id: CID,
    agentId: 'demo',
    title: 't',
    cwd: '/',
    status: 'active',
    version,
    created_at: 1,
    updated_at: 1,
    settings,
  };
}

describe('agent modes', () => {
  it('are unknown until an agent ran, then follow the settings and the mode events, newest first', () => {
    let v = initView(CID, conv(1, {}), [], 10);
    expect(v.agent.modes).toBeNull();
    v = applyEvent(v, ev(11, 'mode', { currentModeId: 'default', availableModes: MODES }, 's1'));
    expect([v.agent.modeId, v.agent.modes?.map((m) => m.id)]).toEqual(['default', ['default', 'plan']]);
    // Another tab chose plan.
    v = applyEvent(
      v,
      ev(12, 'conversation_updated', { conversation: conv(3, { modeId: 'plan', availableModes: MODES }) }),
    );
    expect(v.agent.modeId).toBe('plan');
    // The agent confirms (no list in the event: the known one stays).
    v = applyEvent(v, ev(13, 'mode', { currentModeId: 'plan' }));
    expect([v.agent.modeId, v.agent.modes?.length]).toEqual(['plan', 2]);
    // The mode event arrived on a session's stream: it made no turn.
    expect(v.sessionOrder).toEqual([]);
  });

  it('older history (a hydrated turn) does not override the snapshot', () => {
    let v = initView(CID, conv(4, { modeId: 'plan', availableModes: MODES }), [], 50);
    v = hydrateSession(
      v,
      session('s1', 'm1', 'completed'),
      [ev(20, 'mode', { currentModeId: 'default' }, 's1')],
      's1',
    );
    expect(v.agent.modeId).toBe('plan');
  });

  it("this tab's POST answer applies unless a newer version is shown", () => {
    let v = initView(CID, conv(4, { modeId: 'default', availableModes: MODES }), [], 50);
    v = setConversation(v, conv(5, { modeId: 'plan', availableModes: MODES }));
    expect(v.agent.modeId).toBe('plan');
    v = setConversation(v, conv(3, { modeId: 'default', availableModes: MODES }));
    expect(v.agent.modeId).toBe('plan');
  });
});

describe('commands and configuration', () => {
  it('the latest commands event wins, even when found in a hydrated turn', () => {
    const cmds = [
      { name: 'long', description: 'slow' },
      { name: 'mode', description: 'tells the mode', input: { hint: 'x' } },
    ];
    let v = hydrateSession(
      initView(CID, null, [], 50),
      null,
      [ev(30, 'commands', { availableCommands: cmds }, 's1')],
      's1',
    );
    expect(v.agent.commands.map((c) => c.name)).toEqual(['long', 'mode']);
    v = applyEvent(v, ev(51, 'commands', { availableCommands: [{ name: 'quick', description: '' }] }));
    expect(v.agent.commands.map((c) => c.name)).toEqual(['quick']);
    // A replay of the older one changes nothing.
    v = hydrateSession(v, null, [ev(30, 'commands', { availableCommands: cmds }, 's1')], 's1');
    expect(v.agent.commands.map((c) => c.name)).toEqual(['quick']);
  });

  it('suggests by prefix, then by substring', () => {
    const cmds = [
      { name: 'long', description: '' },
      { name: 'quick', description: '' },
      { name: 'mode', description: '' },
      { name: 'xlong', description: '' },
    ];
    expect(commandQuery('/lo')).toBe('lo');
    expect(commandQuery('/')).toBe('');
    expect(commandQuery('/long now')).toBeNull();
    expect(commandQuery('say /long')).toBeNull();
    expect(matchCommands(cmds, 'lo').map((c) => c.name)).toEqual(['long', 'xlong']);
    expect(matchCommands(cmds, '')).toHaveLength(4);
  });

  it('shows a configuration option as name: value', () => {
    const model = {
      id: 'model',
      name: 'Model',
      type: 'select',
      currentValue: 'fast',
      options: [{ group: 'g', name: 'G', options: [{ value: 'fast', name: 'Fast model' }] }],
    };
    expect(configLabel(model)).toBe('Model: Fast model');
    expect(configLabel({ id: 'x', name: 'Thinking', type: 'boolean', currentValue: true })).toBe(
      'Thinking: on',
    );
    expect(configLabel({ id: 'x', name: 'Odd', currentValue: { a: 1 } })).toBeNull();
  });
});

describe('turn footer state', () => {
  it('a cancel request with an unchanged status is "stopping", not a status change', () => {
    let v = applyEvents(initView(CID, null, [], 0), turnEvents(1, 's1', 'm1', []).slice(0, 3));
    v = applyEvent(
      v,
      ev(
        10,
        'session_updated',
        { status: 'processing', session: session('s1', 'm1', 'processing'), cancelRequested: true },
        's1',
      ),
    );
    expect([v.sessions.s1?.status, v.sessions.s1?.stopping]).toEqual(['processing', true]);
    v = applyEvent(
      v,
      ev(11, 'session_updated', { status: 'cancelled', session: session('s1', 'm1', 'cancelled') }, 's1'),
    );
    expect([v.sessions.s1?.status, v.sessions.s1?.stopping]).toEqual(['cancelled', false]);
  });

  it('keeps the latest usage of a turn', () => {
    let v = applyEvents(initView(CID, null, [], 0), turnEvents(1, 's1', 'm1', []).slice(0, 3));
    v = applyEvents(v, [
      ev(10, 'usage', { used: 1200, size: 200000 }, 's1'),
      ev(11, 'usage', { used: 1500, size: 200000, cost: { amount: 0.01, currency: 'USD' } }, 's1'),
    ]);
    expect(v.sessions.s1?.usage).toEqual({
      used: 1500,
      size: 200000,
      cost: { amount: 0.01, currency: 'USD' },
    });
  });
});

describe('config options as controls (the agent bar)', () => {
  it('reads the server shape (choices, booleans as strings) and the ACP shape (grouped options, booleans)', () => {
    const server = configControls([
      {
        id: 'model',
        name: 'Model',
        type: 'select',
        category: 'model',
        currentValue: 'smart',
        choices: [
          { value: 'fast', name: 'Fast', description: 'Quick answers' },
          { value: 'smart', name: 'Smart' },
        ],
      },
      { id: 'think', name: 'Thinking', type: 'boolean', currentValue: 'false' },
    ]);
    expect(server.map((c) => [c.id, c.kind, c.value, c.choices.map((x) => x.value)])).toEqual([
      ['model', 'select', 'smart', ['fast', 'smart']],
      ['think', 'boolean', 'false', []],
    ]);
    const acp = configControls([
      {
        id: 'effort',
        name: 'Effort',
        type: 'select',
        currentValue: 'low',
        options: [
          {
            group: 'g',
            name: 'Group',
            options: [
              { value: 'low', name: 'Low' },
              { value: 'high', name: 'High' },
            ],
          },
        ],
      },
      { id: 'web', name: 'Web', type: 'boolean', currentValue: true },
      { id: 'odd', name: 'Odd', currentValue: { a: 1 } },
    ]);
    expect(acp.map((c) => [c.id, c.kind, c.value, c.choices.map((x) => x.name)])).toEqual([
      ['effort', 'select', 'low', ['Low', 'High']],
      ['web', 'boolean', 'true', []],
    ]);
  });

  it('keeps a current value the agent did not list, so the select never shows a wrong one', () => {
    const [c] = configControls([{ id: 'm', name: 'M', type: 'select', currentValue: 'x', options: [] }]);
    expect(c?.choices).toEqual([{ value: 'x', name: 'x', description: null }]);
  });
});
