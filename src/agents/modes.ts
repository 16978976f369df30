import type { SessionModeInfo } from '../domain/types.ts';

// An agent's session modes (ACP `SessionModeState`) as gmgui keeps them. Parsed from raw JSON on
// purpose, like the update mapper: real agents add `_meta`, leave out descriptions, or send odd
// shapes, and none of that may break a turn.

export interface AgentModes {
  currentModeId: string;
  availableModes: SessionModeInfo[];
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

/** The modes in a session/new, session/load or session/resume answer; null when the agent has none. */
export function parseModes(raw: unknown): AgentModes | null {
  if (!isObject(raw) || !Array.isArray(raw.availableModes)) return null;
  const availableModes = raw.availableModes.map(parseMode).filter((m): m is SessionModeInfo => m !== null);
  if (availableModes.length === 0) return null;
  const current = typeof raw.currentModeId === 'string' ? raw.currentModeId : availableModes[0].id;
  return { currentModeId: current, availableModes };
}

export function offersMode(modes: AgentModes | null, modeId: string): boolean {
  return modes?.availableModes.some((m) => m.id === modeId) ?? false;
}
