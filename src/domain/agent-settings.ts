import { errors } from './errors.ts';
import type { AgentCommand, Conversation, SessionConfigInfo, SessionModeInfo } from './types.ts';

// A conversation's agent settings: the ACP session it reuses, the mode it is in and the config values
// chosen, with what the agent offers. Modes and config options follow one path, as a decider: `decide`
// turns a command (a user's choice, the runner opening the agent session, the agent reporting a
// change) into events, `evolve` folds an event into the state. Pure: src/commands/agent-settings.ts
// loads the conversation, records the result as one `conversation_updated`, and the runner holding
// the agent applies what `toApply` says (docs/DESIGN.md, the runner). Tested given/when/then in
// test/unit/agent-settings.test.ts.

/** The modes of an open ACP session (ACP `SessionModeState`). */
export interface AgentModes {
  currentModeId: string;
  availableModes: SessionModeInfo[];
}

/** The part of a conversation this module decides. Optional fields are absent until known. */
export interface AgentSettings {
  acpSessionId: string | null;
  /** The mode the conversation is in: the user's choice, else the agent's. */
  modeId?: string;
  /** What the agent offered when its session last opened; empty when it has no modes. */
  availableModes?: SessionModeInfo[];
  /** The agent's options as last known. */
  configOptions?: SessionConfigInfo[];
  /** The values chosen, by option id (booleans as "true"/"false"). */
  configValues?: Record<string, string>;
  /** The commands the agent offered last. */
  availableCommands?: AgentCommand[];
}

export type SettingsCommand =
  /** A user's choice (POST /api/conversations/{id}/mode). */
  | { type: 'choose_mode'; modeId: string }
  /** A user's choice (POST /api/conversations/{id}/config). */
  | { type: 'choose_config'; configId: string; value: string }
  /** A runner opened the conversation's ACP session and the agent said what it offers. */
  | {
      type: 'open_session';
      acpSessionId: string;
      modes: AgentModes | null;
      configOptions: SessionConfigInfo[];
    }
  /** The agent's mode changed after its session opened (by itself, or answering set_mode). */
  | { type: 'report_mode'; modeId: string }
  /** The agent's options changed after its session opened. */
  | { type: 'report_config'; configOptions: SessionConfigInfo[] }
  /** The agent said which commands it offers (available_commands_update). */
  | { type: 'report_commands'; availableCommands: AgentCommand[] };

/** What a runner opening a session, or an agent report, sets; absent fields are removed. */
type Replaced = Required<Pick<AgentSettings, 'acpSessionId' | 'availableModes' | 'configOptions'>> &
  Pick<AgentSettings, 'modeId' | 'configValues'>;

export type SettingsEvent =
  | { type: 'mode_chosen'; modeId: string }
  | { type: 'config_chosen'; configId: string; value: string }
  | ({ type: 'session_opened' } & Replaced)
  | { type: 'mode_reported'; modeId: string }
  | { type: 'config_reported'; configOptions: SessionConfigInfo[]; configValues?: Record<string, string> }
  | { type: 'commands_reported'; availableCommands: AgentCommand[] };

/** Events a user caused: they count as activity (list order) and the runner applies them. */
export const isUserChoice = (e: SettingsEvent): boolean =>
  e.type === 'mode_chosen' || e.type === 'config_chosen';

export function decide(command: SettingsCommand, state: AgentSettings): SettingsEvent[] {
  switch (command.type) {
    case 'choose_mode':
      checkMode(state, command.modeId);
      return state.modeId === command.modeId ? [] : [{ type: 'mode_chosen', modeId: command.modeId }];
    case 'choose_config': {
      const { configId, value } = command;
      checkConfig(state, configId, value);
      return state.configValues?.[configId] === value ? [] : [{ type: 'config_chosen', configId, value }];
    }
    case 'open_session': {
      const { modes, configOptions } = command;
      const wanted = state.modeId;
      const event: SettingsEvent = {
        type: 'session_opened',
        acpSessionId: command.acpSessionId,
        availableModes: modes?.availableModes ?? [],
        // A remembered mode this agent does not offer is dropped for the agent's own.
        modeId: !modes ? undefined : offersMode(modes, wanted) ? wanted : modes.currentModeId,
        configOptions,
        // Remembered values are kept where the agent accepts them; the runner then applies them.
        configValues: keep(state.configValues, configOptions, (o, v) => (o.values.includes(v) ? v : null)),
      };
      return changes(state, event) ? [event] : [];
    }
    case 'report_mode':
      return state.modeId === command.modeId ? [] : [{ type: 'mode_reported', modeId: command.modeId }];
    case 'report_config': {
      const { configOptions } = command;
      // The remembered values follow the agent's, like a mode it switched to by itself, so a new
      // agent process later resumes with them.
      const configValues = keep(state.configValues, configOptions, (o) => o.currentValue);
      const event: SettingsEvent = { type: 'config_reported', configOptions, configValues };
      return changes(state, event) ? [event] : [];
    }
    case 'report_commands': {
      const event: SettingsEvent = { type: 'commands_reported', availableCommands: command.availableCommands };
      return changes(state, event) ? [event] : [];
    }
  }
}

export function evolve(state: AgentSettings, event: SettingsEvent): AgentSettings {
  switch (event.type) {
    case 'mode_chosen':
    case 'mode_reported':
      return { ...state, modeId: event.modeId };
    case 'config_chosen':
      return { ...state, configValues: { ...state.configValues, [event.configId]: event.value } };
    case 'commands_reported':
      return { ...state, availableCommands: event.availableCommands };
    case 'session_opened':
    case 'config_reported': {
      const { type: _t, ...fields } = event;
      return withoutAbsent({ ...state, ...fields });
    }
  }
}

/** What the runner must send the agent so it matches the settings: a mode and config values, if any. */
export function toApply(
  state: Pick<AgentSettings, 'modeId' | 'configValues'>,
  agent: { modes: AgentModes | null; configOptions: SessionConfigInfo[] },
): { modeId: string | null; config: Array<{ configId: string; value: string }> } {
  const m = state.modeId;
  const modeId = agent.modes && m !== agent.modes.currentModeId && offersMode(agent.modes, m) ? m : null;
  const config: Array<{ configId: string; value: string }> = [];
  for (const [configId, value] of Object.entries(state.configValues ?? {})) {
    const o = agent.configOptions.find((x) => x.id === configId);
    if (o?.values.includes(value) && o.currentValue !== value) config.push({ configId, value });
  }
  return { modeId, config };
}

export function offersMode(modes: AgentModes | null, modeId: string | undefined): modeId is string {
  return modeId !== undefined && (modes?.availableModes.some((m) => m.id === modeId) ?? false);
}

export function settingsOf(c: Conversation): AgentSettings {
  const { modeId, availableModes, configOptions, configValues, availableCommands } = c.settings;
  return withoutAbsent({
    acpSessionId: c.acpSessionId,
    modeId,
    availableModes,
    configOptions,
    configValues,
    availableCommands,
  });
}

/** The conversation with these settings; version and updated_at are the caller's. */
export function withSettings(c: Conversation, s: AgentSettings): Conversation {
  const { acpSessionId, ...agent } = s;
  const settings = { ...c.settings, ...agent };
  for (const k of ['modeId', 'availableModes', 'configOptions', 'configValues', 'availableCommands'] as const)
    if (!(k in agent)) delete settings[k];
  return { ...c, acpSessionId, settings };
}

// --- rules of a choice ---

function checkMode(state: AgentSettings, modeId: string): void {
  const offered = state.availableModes;
  // Unknown (no agent has run yet): remembered, and checked once the agent says what it offers.
  if (!offered) return;
  if (offered.length === 0) throw errors.noModes();
  if (!offered.some((m) => m.id === modeId)) throw errors.unknownMode(modeId, ids(offered));
}

function checkConfig(state: AgentSettings, configId: string, value: string): void {
  const offered = state.configOptions;
  if (!offered) return; // as for modes: checked once the agent has said
  const option = offered.find((o) => o.id === configId);
  if (!option) throw errors.unknownConfigOption(configId, ids(offered));
  if (!option.values.includes(value)) throw errors.invalidConfigValue(value, configId, option.values);
}

const ids = (list: ReadonlyArray<{ id: string }>) => list.map((x) => x.id);

// --- helpers ---

/** The remembered values mapped through `pick` against the agent's options; undefined when none is left. */
function keep(
  wanted: Record<string, string> | undefined,
  options: SessionConfigInfo[],
  pick: (option: SessionConfigInfo, value: string) => string | null,
): Record<string, string> | undefined {
  if (!wanted) return undefined;
  const kept: Record<string, string> = {};
  for (const [id, v] of Object.entries(wanted)) {
    const o = options.find((x) => x.id === id);
    const value = o ? pick(o, v) : null;
    if (value !== null) kept[id] = value;
  }
  return Object.keys(kept).length ? kept : undefined;
}

function withoutAbsent<T extends object>(o: T): T {
  const out = { ...o };
  for (const k of Object.keys(out) as Array<keyof T>) if (out[k] === undefined) delete out[k];
  return out;
}

/** True when folding the event changes the state (JSON values: compared field by field). */
function changes(state: AgentSettings, event: SettingsEvent): boolean {
  return !jsonEqual(evolve(state, event), state);
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const rb = b as Record<string, unknown>;
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => k in rb && jsonEqual((a as Record<string, unknown>)[k], rb[k]));
}
