import type { AgentModes } from '../domain/agent-settings.ts';
import type { AgentCommand, SessionConfigInfo, SessionModeInfo } from '../domain/types.ts';

// The modes and configuration options of one open ACP session as the agent last said, kept by its
// AgentHost (acp-host.ts): from the answer that opened the session, then the agent's updates and its
// answers to set_mode / set_config_option. Changes after the session opened are reported, so the
// conversation's remembered settings follow the agent (src/domain/agent-settings.ts). ACP values are
// parsed from raw JSON on purpose, like the update mapper: real agents add `_meta`, leave out
// descriptions or send odd shapes, and none of that may break a turn (an odd entry is dropped).
// Agents that offer models the older way (`models` in the session answer and `session/set_model`:
// Gemini, Goose, Qwen) get the same path: their models appear as a select option with id `model`,
// and setting it sends `session/set_model` (AgentHost.setConfigOption).

export interface SettingsReports {
  /** The mode changed after the session opened (the agent switched, or accepted or refused a set). */
  onModeReport?(modeId: string): void;
  /** The options changed after the session opened (an update or a set answer). */
  onConfigReport?(options: SessionConfigInfo[]): void;
  /** The agent said which commands it offers. */
  onCommandsReport?(commands: AgentCommand[]): void;
  /** The agent gave the session a title (session_info_update). */
  onTitleReport?(title: string): void;
}

/** The `model` option made from an agent's `models` (the unstable ACP models API). */
export const MODEL_OPTION_ID = 'model';

/** What a session/new, session/load or session/resume answer says; configOptions raw, for clients. */
export interface OpenedSettings {
  modes: AgentModes | null;
  configOptions: unknown[] | null;
}

export class SessionSettings {
  /** The session's modes as last known. */
  modes: AgentModes | null = null;
  /** The session's config options as last known. */
  configOptions: SessionConfigInfo[] = [];
  /** While the session opens, its answer (not the updates before it) says what it offers. */
  opening = false;
  /** The agent's models, when it offers them through `models` + `session/set_model` instead of an option. */
  private models: Models | null = null;

  constructor(private readonly reports: SettingsReports) {}

  /** Takes the state from the answer that opened the session. */
  opened(answer: unknown): OpenedSettings {
    const o = (answer ?? {}) as { modes?: unknown; configOptions?: unknown; models?: unknown };
    const options = Array.isArray(o.configOptions) ? o.configOptions : [];
    const models = parseModels(o.models);
    this.models = models && !options.some(isModelOption) ? models : null;
    const raw = this.withModels(options);
    this.modes = parseModes(o.modes);
    this.configOptions = parseConfigOptions(raw);
    return { modes: this.modes, configOptions: raw.length ? raw : null };
  }

  /** `{modelId}` for session/set_model when `configId` is the option made from the agent's models. */
  modelParams(configId: string, value: string): { modelId: string } | null {
    if (!this.models || configId !== MODEL_OPTION_ID) return null;
    return this.models.available.some((m) => m.modelId === value) ? { modelId: value } : null;
  }

  /** session/set_model was accepted: the update to record, the list of options with the new model. */
  modelAccepted(modelId: string): unknown | null {
    if (!this.models) return null;
    this.models = { ...this.models, current: modelId };
    const raw = this.configOptions.filter((x) => x.id !== MODEL_OPTION_ID).map(toRawOption);
    return { update: { sessionUpdate: 'config_option_update', configOptions: this.withModels(raw) } };
  }

  /** The agent's options with the one made from its models appended, when it has those. */
  private withModels(options: unknown[]): unknown[] {
    return this.models ? [...options.filter((x) => !isModelOption(x)), modelOption(this.models)] : options;
  }

  /**
   * Notes a `session/update` and returns it as it should be stored: a mode update is completed with the
   * list of modes, so that every `mode` event tells a client what the agent is in and could switch to.
   */
  onUpdate(update: unknown): unknown {
    const kind = (update as { sessionUpdate?: unknown } | null)?.sessionUpdate;
    if (kind === 'current_mode_update') return this.noteMode(update as ModeUpdate);
    if (kind === 'session_info_update') {
      const title = (update as { title?: unknown }).title;
      if (typeof title === 'string' && title.trim()) this.reports.onTitleReport?.(title);
    }
    if (kind === 'available_commands_update') {
      this.reports.onCommandsReport?.(parseCommands((update as { availableCommands?: unknown }).availableCommands));
    }
    if (kind === 'config_option_update') {
      const raw = (update as { configOptions?: unknown }).configOptions;
      const withModels = this.models && Array.isArray(raw) ? this.withModels(raw) : raw;
      if (!this.opening) {
        this.configOptions = parseConfigOptions(withModels);
        this.reports.onConfigReport?.(this.configOptions);
      }
      if (withModels !== raw) return { ...(update as object), configOptions: withModels };
    }
    return update;
  }

  /**
   * A set_mode was accepted. ACP lets an agent accept without a current_mode_update; the update to
   * record as if it had sent one, so the log (and every client) shows the mode the agent is in.
   */
  modeAccepted(modeId: string): unknown | null {
    if (this.modes?.currentModeId === modeId) return null;
    return { update: { sessionUpdate: 'current_mode_update', currentModeId: modeId } };
  }

  /** A set_mode was refused: the conversation's mode is reported back as the agent's real one. */
  modeRefused(): void {
    if (this.modes) this.reports.onModeReport?.(this.modes.currentModeId);
  }

  /** The `session/set_config_option` params (without sessionId), when the agent offers this value. */
  configParams(
    configId: string,
    value: string,
  ): { configId: string; value: string } | { type: 'boolean'; configId: string; value: boolean } | null {
    const option = this.configOptions.find((o) => o.id === configId);
    if (!option?.values.includes(value)) return null;
    return option.type === 'boolean'
      ? { type: 'boolean', configId: option.id, value: value === 'true' }
      : { configId: option.id, value };
  }

  /**
   * A set_config_option was accepted. Its answer holds the full list of options: the update to record
   * (a `config_option_update`). Without a list the option simply took the value.
   */
  configAccepted(configId: string, value: string, answer: unknown): unknown | null {
    const configOptions = (answer as { configOptions?: unknown } | null)?.configOptions;
    if (Array.isArray(configOptions))
      return { update: { sessionUpdate: 'config_option_update', configOptions } };
    this.configOptions = this.configOptions.map((o) =>
      o.id === configId ? { ...o, currentValue: value } : o,
    );
    this.reports.onConfigReport?.(this.configOptions);
    return null;
  }

  private noteMode(update: ModeUpdate): ModeUpdate {
    const modes = this.modes;
    if (this.opening || !modes || typeof update.currentModeId !== 'string') return update;
    const changed = modes.currentModeId !== update.currentModeId;
    this.modes = { ...modes, currentModeId: update.currentModeId };
    if (changed) this.reports.onModeReport?.(update.currentModeId);
    return Array.isArray(update.availableModes)
      ? update
      : { ...update, availableModes: modes.availableModes };
  }
}

interface ModeUpdate {
  sessionUpdate: 'current_mode_update';
  currentModeId?: unknown;
  availableModes?: unknown;
  [field: string]: unknown;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseMode(raw: unknown): SessionModeInfo | null {
  if (!isObject(raw) || typeof raw.id !== 'string' || !raw.id) return null;
  const mode: SessionModeInfo = { id: raw.id, name: typeof raw.name === 'string' ? raw.name : raw.id };
  if (typeof raw.description === 'string') mode.description = raw.description;
  return mode;
}

/** The modes (ACP `SessionModeState`) of an answer that opened a session; null when the agent has none. */
export function parseModes(raw: unknown): AgentModes | null {
  if (!isObject(raw) || !Array.isArray(raw.availableModes)) return null;
  const availableModes = raw.availableModes.map(parseMode).filter((m): m is SessionModeInfo => m !== null);
  if (availableModes.length === 0) return null;
  const current = typeof raw.currentModeId === 'string' ? raw.currentModeId : availableModes[0].id;
  return { currentModeId: current, availableModes };
}

type Choice = NonNullable<SessionConfigInfo['choices']>[number];

function selectChoices(options: unknown, group?: string): Choice[] {
  if (!Array.isArray(options)) return [];
  const out: Choice[] = [];
  for (const o of options) {
    if (!isObject(o)) continue;
    if (typeof o.value === 'string') {
      const c: Choice = { value: o.value, name: typeof o.name === 'string' ? o.name : o.value };
      if (typeof o.description === 'string') c.description = o.description;
      if (group) c.group = group;
      out.push(c);
    }
    // A group of options (SessionConfigSelectGroup).
    else if (Array.isArray(o.options)) out.push(...selectChoices(o.options, str(o.name) ?? str(o.group)));
  }
  return out;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

function parseOption(raw: unknown): SessionConfigInfo | null {
  if (!isObject(raw) || typeof raw.id !== 'string' || !raw.id) return null;
  const base = {
    id: raw.id,
    name: typeof raw.name === 'string' ? raw.name : raw.id,
    ...(str(raw.description) ? { description: str(raw.description) } : {}),
    ...(str(raw.category) ? { category: str(raw.category) } : {}),
  };
  if (raw.type === 'boolean' && typeof raw.currentValue === 'boolean') {
    return { ...base, type: 'boolean', currentValue: String(raw.currentValue), values: ['true', 'false'] };
  }
  if (raw.type === 'select' && typeof raw.currentValue === 'string') {
    const choices = selectChoices(raw.options);
    return { ...base, type: 'select', currentValue: raw.currentValue, values: choices.map((c) => c.value), choices };
  }
  return null;
}

/** An option as ACP writes it (for the update recorded after session/set_model). */
function toRawOption(o: SessionConfigInfo): unknown {
  const { values: _v, choices, currentValue, ...rest } = o;
  if (o.type === 'boolean') return { ...rest, currentValue: currentValue === 'true' };
  return { ...rest, currentValue, options: (choices ?? []).map(({ group: _g, ...c }) => c) };
}

function isModelOption(raw: unknown): boolean {
  return isObject(raw) && (raw.id === MODEL_OPTION_ID || raw.category === 'model');
}

/** The unstable ACP models API: `{currentModelId, availableModels:[{modelId, name, description?}]}`. */
interface Models {
  current: string;
  available: Array<{ modelId: string; name: string; description?: string }>;
}

function parseModels(raw: unknown): Models | null {
  if (!isObject(raw) || !Array.isArray(raw.availableModels)) return null;
  const available: Models['available'] = [];
  for (const m of raw.availableModels) {
    if (!isObject(m) || !str(m.modelId)) continue;
    const modelId = m.modelId as string;
    available.push({ modelId, name: str(m.name) ?? modelId, ...(str(m.description) ? { description: str(m.description) } : {}) });
  }
  if (!available.length) return null;
  return { current: str(raw.currentModelId) ?? available[0].modelId, available };
}

/** The select option that stands for an agent's models. */
function modelOption(m: Models): unknown {
  return {
    id: MODEL_OPTION_ID,
    name: 'Model',
    type: 'select',
    category: 'model',
    currentValue: m.current,
    options: m.available.map((x) => ({ value: x.modelId, name: x.name, ...(x.description ? { description: x.description } : {}) })),
  };
}

/** The commands of an `available_commands_update` (ACP `AvailableCommand[]`); odd entries dropped. */
export function parseCommands(raw: unknown): AgentCommand[] {
  if (!Array.isArray(raw)) return [];
  const out: AgentCommand[] = [];
  for (const c of raw) {
    if (!isObject(c) || !str(c.name)) continue;
    const hint = isObject(c.input) ? str(c.input.hint) : undefined;
    out.push({ name: c.name as string, description: str(c.description) ?? '', ...(hint ? { hint } : {}) });
  }
  return out;
}

/** The options (ACP `SessionConfigOption[]`) of an answer or a config_option_update, flattened. */
export function parseConfigOptions(raw: unknown): SessionConfigInfo[] {
  if (!Array.isArray(raw)) return [];
  return raw.map(parseOption).filter((o): o is SessionConfigInfo => o !== null);
}
