// What the conversation's agent said about itself: its modes, its slash-commands and its
// configuration. These come from three places — the conversation's settings (GET and
// `conversation_updated`), the agent's `mode` / `commands` / `config` events (on /stream, and in the
// event history of a hydrated turn) — and the newest one wins. "Newest" is the event's seq; what a
// REST snapshot says counts as of the snapshot's cursor, because it was read after that cursor.

import type { AgentCommand, ConfigOption, Conversation, GmEvent, ModeInfo } from '../types';

export interface AgentInfo {
  /** The mode the conversation is in; null when unknown or the agent has none. */
  modeId: string | null;
  /** What the agent offers; null until an agent ran, empty when it has no modes. */
  modes: ModeInfo[] | null;
  commands: AgentCommand[];
  config: ConfigOption[];
  /** Seq each part was last set at (dedupe against replays and older hydrated history). */
  modeSeq: number;
  commandsSeq: number;
  configSeq: number;
}

export const emptyAgentInfo: AgentInfo = {
  modeId: null,
  modes: null,
  commands: [],
  config: [],
  modeSeq: 0,
  commandsSeq: 0,
  configSeq: 0,
};

function asObject(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function parseModes(raw: unknown): ModeInfo[] | null {
  if (!Array.isArray(raw)) return null;
  const out: ModeInfo[] = [];
  for (const m of raw) {
    const o = asObject(m);
    if (!o || typeof o.id !== 'string' || !o.id) continue;
    out.push({
      id: o.id,
      name: typeof o.name === 'string' && o.name ? o.name : o.id,
      description: typeof o.description === 'string' ? o.description : null,
    });
  }
  return out;
}

function parseCommands(raw: unknown): AgentCommand[] {
  if (!Array.isArray(raw)) return [];
  const out: AgentCommand[] = [];
  for (const c of raw) {
    const o = asObject(c);
    if (!o || typeof o.name !== 'string' || !o.name) continue;
    const input = asObject(o.input);
    out.push({
      name: o.name.replace(/^\//, ''),
      description: typeof o.description === 'string' ? o.description : '',
      input: input && typeof input.hint === 'string' ? { hint: input.hint } : null,
    });
  }
  return out;
}

function parseConfig(raw: unknown): ConfigOption[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter((o): o is ConfigOption => {
    const x = asObject(o);
    return !!x && typeof x.id === 'string' && typeof x.name === 'string';
  });
}

/** The settings part of a conversation row, as of `seq` (the snapshot cursor or the event's seq). */
export function infoFromConversation(info: AgentInfo, c: Conversation | null, seq: number): AgentInfo {
  const st = c?.settings;
  if (!st || seq < info.modeSeq) return info;
  const modes = st.availableModes === undefined ? info.modes : parseModes(st.availableModes);
  const modeId = typeof st.modeId === 'string' ? st.modeId : null;
  let next = info;
  if (modeId !== info.modeId || modes !== info.modes) next = { ...next, modeId, modes, modeSeq: seq };
  if (Array.isArray(st.configOptions) && seq >= info.configSeq)
    next = { ...next, config: parseConfig(st.configOptions), configSeq: seq };
  return next;
}

/** Event types this module folds; they describe the conversation, not one turn. */
export const AGENT_INFO_EVENTS: ReadonlySet<string> = new Set(['mode', 'commands', 'config']);

/** Applies a `mode`, `commands` or `config` event; older than what is known: ignored. */
export function applyAgentEvent(info: AgentInfo, ev: GmEvent): AgentInfo {
  switch (ev.type) {
    case 'mode': {
      if (ev.seq <= info.modeSeq) return info;
      const modes = parseModes(ev.availableModes) ?? info.modes;
      const modeId = typeof ev.currentModeId === 'string' ? ev.currentModeId : info.modeId;
      return { ...info, modeId, modes, modeSeq: ev.seq };
    }
    case 'commands':
      if (ev.seq <= info.commandsSeq) return info;
      return { ...info, commands: parseCommands(ev.availableCommands), commandsSeq: ev.seq };
    case 'config':
      if (ev.seq <= info.configSeq) return info;
      return { ...info, config: parseConfig(ev.configOptions), configSeq: ev.seq };
    default:
      return info;
  }
}

/** A configuration option as the agent bar shows it: a select or a toggle. */
export interface ConfigControl {
  id: string;
  name: string;
  description: string | null;
  category: string | null;
  kind: 'select' | 'boolean';
  /** The current value; for booleans "true" or "false" (what POST …/config takes as well). */
  value: string;
  choices: { value: string; name: string; description: string | null }[];
}

/** The options of a kind the agent bar can set (select, boolean); others are left out. */
export function configControls(config: readonly ConfigOption[]): ConfigControl[] {
  const out: ConfigControl[] = [];
  for (const o of config) {
    const base = {
      id: o.id,
      name: o.name,
      description: typeof o.description === 'string' ? o.description : null,
      category: typeof o.category === 'string' ? o.category : null,
    };
    const v = o.currentValue;
    if (o.type === 'boolean' || typeof v === 'boolean') {
      if (typeof v !== 'boolean' && v !== 'true' && v !== 'false') continue;
      out.push({ ...base, kind: 'boolean', value: String(v), choices: [] });
      continue;
    }
    if (typeof v !== 'string') continue;
    const choices = flatChoices(Array.isArray(o.choices) ? o.choices : (o.options ?? []));
    if (!choices.some((c) => c.value === v)) choices.unshift({ value: v, name: v, description: null });
    out.push({ ...base, kind: 'select', value: v, choices });
  }
  return out;
}

function flatChoices(raw: readonly unknown[]): ConfigControl['choices'] {
  const out: ConfigControl['choices'] = [];
  for (const r of raw) {
    const o = asObject(r);
    if (!o) continue;
    if (typeof o.value === 'string')
      out.push({
        value: o.value,
        name: typeof o.name === 'string' && o.name ? o.name : o.value,
        description: typeof o.description === 'string' ? o.description : null,
      });
    else if (Array.isArray(o.options)) out.push(...flatChoices(o.options));
  }
  return out;
}

/** `name: value` of a configuration option, in words; null when its shape is not one we know. */
export function configLabel(o: ConfigOption): string | null {
  if (typeof o.currentValue === 'boolean') return `${o.name}: ${o.currentValue ? 'on' : 'off'}`;
  if (typeof o.currentValue !== 'string') return null;
  const name = findOptionName(o.options ?? [], o.currentValue);
  return `${o.name}: ${name ?? o.currentValue}`;
}

function findOptionName(options: readonly unknown[], value: string): string | null {
  for (const raw of options) {
    const o = asObject(raw);
    if (!o) continue;
    if (o.value === value && typeof o.name === 'string') return o.name;
    // Grouped options: `{group, name, options: [...]}`.
    if (Array.isArray(o.options)) {
      const inner = findOptionName(o.options, value);
      if (inner) return inner;
    }
  }
  return null;
}
