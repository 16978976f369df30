import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AgentModes,
  type AgentSettings,
  type SettingsCommand,
  type SettingsEvent,
  decide,
  evolve,
  isUserChoice,
  settingsOf,
  toApply,
  withSettings,
} from '../../src/domain/agent-settings.ts';
import { AppError } from '../../src/domain/errors.ts';
import type { Conversation, SessionConfigInfo } from '../../src/domain/types.ts';

// The agent-settings decider (src/domain/agent-settings.ts), given/when/then without I/O: given the
// events so far, when a command arrives, then these events (or this refusal), and this state.

const NEW: AgentSettings = { acpSessionId: null };

const MODES: AgentModes = {
  currentModeId: 'default',
  availableModes: [
    { id: 'default', name: 'Default' },
    { id: 'plan', name: 'Plan', description: 'Think first' },
  ],
};

const MODEL: SessionConfigInfo = {
  id: 'model',
  name: 'Model',
  type: 'select',
  currentValue: 'fast',
  values: ['fast', 'smart'],
};
const VERBOSE: SessionConfigInfo = {
  id: 'verbose',
  name: 'Verbose',
  type: 'boolean',
  currentValue: 'false',
  values: ['true', 'false'],
};

/** The event of a session opened, with these fields different from an agent without modes or options. */
function sessionOpened(fields: Partial<Extract<SettingsEvent, { type: 'session_opened' }>>): SettingsEvent {
  return {
    type: 'session_opened',
    acpSessionId: 'acp-1',
    availableModes: [],
    modeId: undefined,
    configOptions: [],
    configValues: undefined,
    ...fields,
  };
}

function opened(modes: AgentModes | null, configOptions: SessionConfigInfo[], acpSessionId = 'acp-1') {
  return { type: 'open_session', acpSessionId, modes, configOptions } as const;
}

/** Deeply frozen, so a decider that changed its input would throw. */
function frozen<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) frozen(x);
    Object.freeze(v);
  }
  return v;
}

function given(...history: SettingsCommand[]) {
  // The history is built through the decider itself, as the log would have it.
  let state = NEW;
  for (const c of history) state = decide(c, state).reduce(evolve, state);
  const before = frozen(state);
  return {
    state: before,
    when(command: SettingsCommand) {
      return {
        thenEmits(expected: SettingsEvent[], after?: AgentSettings) {
          const events = decide(command, before);
          assert.deepEqual(events, expected);
          if (after) assert.deepEqual(events.reduce(evolve, before), after);
          return events.reduce(evolve, before);
        },
        refused(code: string) {
          assert.throws(
            () => decide(command, before),
            (e: unknown) => e instanceof AppError && e.status === 400 && e.code === code,
          );
        },
      };
    },
  };
}

describe('agent settings: modes', () => {
  test('a mode chosen before any agent ran is remembered unchecked', () => {
    given()
      .when({ type: 'choose_mode', modeId: 'plan' })
      .thenEmits([{ type: 'mode_chosen', modeId: 'plan' }], { acpSessionId: null, modeId: 'plan' });
  });

  test('choosing the mode the conversation is in changes nothing', () => {
    given({ type: 'choose_mode', modeId: 'plan' })
      .when({ type: 'choose_mode', modeId: 'plan' })
      .thenEmits([]);
  });

  test('once the agent said what it offers, other modes are refused', () => {
    const g = given(opened(MODES, []));
    g.when({ type: 'choose_mode', modeId: 'yolo' }).refused('unknown_mode');
    g.when({ type: 'choose_mode', modeId: 'plan' }).thenEmits([{ type: 'mode_chosen', modeId: 'plan' }]);
  });

  test('an agent without modes: a remembered mode is dropped when it opens, later choices refused', () => {
    const g = given({ type: 'choose_mode', modeId: 'plan' });
    const after = g
      .when(opened(null, []))
      .thenEmits([sessionOpened({})], { acpSessionId: 'acp-1', availableModes: [], configOptions: [] });
    assert.throws(() => decide({ type: 'choose_mode', modeId: 'plan' }, after), { code: 'no_modes' });
  });

  test('opening keeps a remembered mode the agent offers, and the runner switches the agent to it', () => {
    const state = given({ type: 'choose_mode', modeId: 'plan' })
      .when(opened(MODES, []))
      .thenEmits([sessionOpened({ availableModes: MODES.availableModes, modeId: 'plan' })]);
    assert.deepEqual(toApply(state, { modes: MODES, configOptions: [] }), { modeId: 'plan', config: [] });
  });

  test("opening with a remembered mode the agent does not offer takes the agent's own", () => {
    const state = given({ type: 'choose_mode', modeId: 'gone' })
      .when(opened(MODES, []))
      .thenEmits([sessionOpened({ availableModes: MODES.availableModes, modeId: 'default' })]);
    assert.deepEqual(toApply(state, { modes: MODES, configOptions: [] }), { modeId: null, config: [] });
  });

  test('opening the same session with the same offers records nothing', () => {
    given(opened(MODES, [MODEL]))
      .when(opened(MODES, [MODEL]))
      .thenEmits([]);
  });

  test('a new ACP session id alone is recorded', () => {
    given(opened(MODES, []))
      .when(opened(MODES, [], 'acp-2'))
      .thenEmits([
        sessionOpened({ acpSessionId: 'acp-2', availableModes: MODES.availableModes, modeId: 'default' }),
      ]);
  });

  test('the agent switching by itself: the conversation follows; the same report again is nothing', () => {
    const g = given(opened(MODES, []));
    g.when({ type: 'report_mode', modeId: 'plan' }).thenEmits([{ type: 'mode_reported', modeId: 'plan' }]);
    given(opened(MODES, []), { type: 'report_mode', modeId: 'plan' })
      .when({ type: 'report_mode', modeId: 'plan' })
      .thenEmits([]);
  });
});

describe('agent settings: config options', () => {
  test('a value chosen before any agent ran is remembered unchecked', () => {
    given()
      .when({ type: 'choose_config', configId: 'model', value: 'smart' })
      .thenEmits([{ type: 'config_chosen', configId: 'model', value: 'smart' }], {
        acpSessionId: null,
        configValues: { model: 'smart' },
      });
  });

  test('once the options are known: unknown options and values are refused', () => {
    const g = given(opened(null, [MODEL, VERBOSE]));
    g.when({ type: 'choose_config', configId: 'temperature', value: '1' }).refused('unknown_config_option');
    g.when({ type: 'choose_config', configId: 'model', value: 'huge' }).refused('invalid_config_value');
    g.when({ type: 'choose_config', configId: 'verbose', value: 'true' }).thenEmits([
      { type: 'config_chosen', configId: 'verbose', value: 'true' },
    ]);
  });

  test('an agent without options refuses every choice', () => {
    given(opened(null, []))
      .when({ type: 'choose_config', configId: 'model', value: 'smart' })
      .refused('unknown_config_option');
  });

  test('choosing the remembered value again changes nothing', () => {
    given({ type: 'choose_config', configId: 'model', value: 'smart' })
      .when({ type: 'choose_config', configId: 'model', value: 'smart' })
      .thenEmits([]);
  });

  test('opening keeps the values the agent accepts, drops the rest; the runner sets those that differ', () => {
    const state = given(
      { type: 'choose_config', configId: 'model', value: 'smart' },
      { type: 'choose_config', configId: 'verbose', value: 'false' },
      { type: 'choose_config', configId: 'gone', value: 'x' },
    )
      .when(opened(null, [MODEL, VERBOSE]))
      .thenEmits([
        sessionOpened({
          configOptions: [MODEL, VERBOSE],
          configValues: { model: 'smart', verbose: 'false' },
        }),
      ]);
    // verbose is already false: only the model needs setting.
    assert.deepEqual(toApply(state, { modes: null, configOptions: [MODEL, VERBOSE] }), {
      modeId: null,
      config: [{ configId: 'model', value: 'smart' }],
    });
  });

  test("the agent's report: remembered values follow its current ones; options gone are forgotten", () => {
    const g = given(
      opened(null, [MODEL, VERBOSE]),
      { type: 'choose_config', configId: 'model', value: 'smart' },
      { type: 'choose_config', configId: 'verbose', value: 'true' },
    );
    const now = { ...MODEL, currentValue: 'fast' };
    g.when({ type: 'report_config', configOptions: [now] }).thenEmits(
      [{ type: 'config_reported', configOptions: [now], configValues: { model: 'fast' } }],
      { acpSessionId: 'acp-1', availableModes: [], configOptions: [now], configValues: { model: 'fast' } },
    );
    // Nothing remembered survives: the field goes.
    g.when({ type: 'report_config', configOptions: [] }).thenEmits(
      [{ type: 'config_reported', configOptions: [], configValues: undefined }],
      { acpSessionId: 'acp-1', availableModes: [], configOptions: [] },
    );
  });

  test('a report equal to what is known records nothing', () => {
    given(opened(null, [MODEL]))
      .when({ type: 'report_config', configOptions: [MODEL] })
      .thenEmits([]);
  });
});

describe('agent settings: commands', () => {
  const COMMANDS = [{ name: 'review', description: 'Review', hint: 'what' }];

  test('the commands the agent reports are remembered; the same list again is nothing; a new session keeps them', () => {
    const after = given(opened(null, []))
      .when({ type: 'report_commands', availableCommands: COMMANDS })
      .thenEmits([{ type: 'commands_reported', availableCommands: COMMANDS }]);
    assert.deepEqual(after.availableCommands, COMMANDS);
    given(opened(null, []), { type: 'report_commands', availableCommands: COMMANDS })
      .when({ type: 'report_commands', availableCommands: COMMANDS })
      .thenEmits([]);
    const reopened = given({ type: 'report_commands', availableCommands: COMMANDS })
      .when(opened(null, [], 'acp-2'))
      .thenEmits([sessionOpened({ acpSessionId: 'acp-2' })]);
    assert.deepEqual(reopened.availableCommands, COMMANDS);
  });
});

describe('agent settings: the conversation row', () => {
  const conversation: Conversation = {
    id: 'conv_1',
    agentId: 'demo',
    title: 't',
    cwd: '/w',
    status: 'active',
    version: 3,
    settings: { autoApprove: true, allowAlways: ['kind:edit'], modeId: 'plan', configValues: { model: 'x' } },
    acpSessionId: null,
    created_at: 1,
    updated_at: 2,
  };

  test('settingsOf reads the agent part; withSettings writes it back and removes what is absent', () => {
    const s = settingsOf(conversation);
    assert.deepEqual(s, { acpSessionId: null, modeId: 'plan', configValues: { model: 'x' } });
    assert.deepEqual(withSettings(conversation, s), conversation);
    const dropped = withSettings(conversation, { acpSessionId: 'acp-9', availableModes: [] });
    assert.deepEqual(dropped.settings, { autoApprove: true, allowAlways: ['kind:edit'], availableModes: [] });
    assert.equal(dropped.acpSessionId, 'acp-9');
    assert.equal(dropped.version, 3, 'version and updated_at are the caller’s');
  });

  test("only a user's choice is activity for the runner to apply", () => {
    assert.ok(isUserChoice({ type: 'mode_chosen', modeId: 'a' }));
    assert.ok(isUserChoice({ type: 'config_chosen', configId: 'a', value: 'b' }));
    assert.ok(!isUserChoice({ type: 'mode_reported', modeId: 'a' }));
    assert.ok(!isUserChoice({ type: 'config_reported', configOptions: [] }));
  });

  test('toApply: nothing to send when the agent is in the wanted state or does not offer it', () => {
    const agent = { modes: MODES, configOptions: [MODEL] };
    assert.deepEqual(toApply({ modeId: 'default', configValues: { model: 'fast' } }, agent), {
      modeId: null,
      config: [],
    });
    assert.deepEqual(toApply({ modeId: 'nope', configValues: { model: 'huge' } }, agent), {
      modeId: null,
      config: [],
    });
    assert.deepEqual(toApply({ modeId: 'plan' }, { modes: null, configOptions: [] }), {
      modeId: null,
      config: [],
    });
  });
});
