import type { SessionConfigInfo } from '../domain/types.ts';

// An agent's session configuration options (ACP `SessionConfigOption[]`) as gmgui keeps them in a
// conversation's settings: id, type, current value and accepted values. Parsed from raw JSON like
// the modes, so an odd shape drops one option rather than breaking a turn.

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function selectValues(options: unknown): string[] {
  if (!Array.isArray(options)) return [];
  const out: string[] = [];
  for (const o of options) {
    if (!isObject(o)) continue;
    if (typeof o.value === 'string') out.push(o.value);
    // A group of options (SessionConfigSelectGroup).
    else if (Array.isArray(o.options)) out.push(...selectValues(o.options));
  }
  return out;
}

function parseOption(raw: unknown): SessionConfigInfo | null {
  if (!isObject(raw) || typeof raw.id !== 'string' || !raw.id) return null;
  const name = typeof raw.name === 'string' ? raw.name : raw.id;
  if (raw.type === 'boolean' && typeof raw.currentValue === 'boolean') {
    return {
      id: raw.id,
      name,
      type: 'boolean',
      currentValue: String(raw.currentValue),
      values: ['true', 'false'],
    };
  }
  if (raw.type === 'select' && typeof raw.currentValue === 'string') {
    return {
      id: raw.id,
      name,
      type: 'select',
      currentValue: raw.currentValue,
      values: selectValues(raw.options),
    };
  }
  return null;
}

/** The options of a session/new, session/load or set_config_option answer or a config_option_update. */
export function parseConfigOptions(raw: unknown): SessionConfigInfo[] {
  if (!Array.isArray(raw)) return [];
  return raw.map(parseOption).filter((o): o is SessionConfigInfo => o !== null);
}

/** The `session/set_config_option` params (without sessionId) for a value of an offered option. */
export function configParams(
  option: SessionConfigInfo,
  value: string,
): { configId: string; value: string } | { type: 'boolean'; configId: string; value: boolean } {
  return option.type === 'boolean'
    ? { type: 'boolean', configId: option.id, value: value === 'true' }
    : { configId: option.id, value };
}

/** The remembered values that differ from the agent's current ones and that it accepts. */
export function valuesToApply(
  offered: SessionConfigInfo[],
  wanted: Record<string, string> | undefined,
): Array<{ configId: string; value: string }> {
  const out: Array<{ configId: string; value: string }> = [];
  for (const [configId, value] of Object.entries(wanted ?? {})) {
    const o = offered.find((x) => x.id === configId);
    if (o?.values.includes(value) && o.currentValue !== value) out.push({ configId, value });
  }
  return out;
}
