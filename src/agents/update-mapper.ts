// Maps one raw ACP `session/update` payload to the event we store (CONTRACT section 5).
// It works on raw JSON on purpose: the SDK's v1 schema rejects update kinds it does not know, and
// real agents send newer kinds, `_meta` fields and partial tool calls. Unknown kinds are kept raw as
// `agent_update`; nothing here throws on odd input.

export interface MappedEvent {
  type: string;
  [field: string]: unknown;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Copies the listed fields that are present (not undefined), so updates carry only what changed. */
function pick(src: Json, keys: readonly string[]): Json {
  const out: Json = {};
  for (const k of keys) if (src[k] !== undefined) out[k] = src[k];
  return out;
}

const TOOL_FIELDS = ['title', 'kind', 'status', 'content', 'locations', 'rawInput', 'rawOutput'] as const;

export function mapSessionUpdate(update: unknown): MappedEvent {
  if (!isObject(update) || typeof update.sessionUpdate !== 'string') {
    return { type: 'agent_update', update: update ?? null };
  }
  const meta = isObject(update._meta) ? { meta: update._meta } : {};
  const content = update.content;
  switch (update.sessionUpdate) {
    case 'agent_message_chunk':
      if (isObject(content) && content.type === 'text' && typeof content.text === 'string') {
        return { type: 'text_delta', text: content.text, ...meta };
      }
      return { type: 'agent_update', update };
    case 'agent_thought_chunk':
      if (isObject(content) && content.type === 'text' && typeof content.text === 'string') {
        return { type: 'thought_delta', text: content.text, ...meta };
      }
      return { type: 'agent_update', update };
    case 'user_message_chunk':
      return { type: 'user_chunk', content: content ?? null, ...meta };
    case 'tool_call':
      if (typeof update.toolCallId !== 'string') return { type: 'agent_update', update };
      return {
        type: 'tool_call',
        toolCallId: update.toolCallId,
        title: typeof update.title === 'string' ? update.title : '',
        kind: typeof update.kind === 'string' ? update.kind : 'other',
        status: typeof update.status === 'string' ? update.status : 'pending',
        content: Array.isArray(update.content) ? update.content : [],
        locations: Array.isArray(update.locations) ? update.locations : [],
        ...(update.rawInput !== undefined ? { rawInput: update.rawInput } : {}),
        ...(update.rawOutput !== undefined ? { rawOutput: update.rawOutput } : {}),
        ...meta,
      };
    case 'tool_call_update':
      if (typeof update.toolCallId !== 'string') return { type: 'agent_update', update };
      return { type: 'tool_update', toolCallId: update.toolCallId, ...pick(update, TOOL_FIELDS), ...meta };
    case 'plan':
      return { type: 'plan', entries: Array.isArray(update.entries) ? update.entries : [], ...meta };
    case 'current_mode_update':
      return {
        type: 'mode',
        currentModeId: update.currentModeId ?? null,
        // Present when the mode list comes from session/new or session/load rather than an update.
        ...(Array.isArray(update.availableModes) ? { availableModes: update.availableModes } : {}),
        ...meta,
      };
    case 'config_option_update':
      // The full list of the session's configuration options with their current values.
      return {
        type: 'config',
        configOptions: Array.isArray(update.configOptions) ? update.configOptions : [],
        ...meta,
      };
    case 'available_commands_update':
      return {
        type: 'commands',
        availableCommands: Array.isArray(update.availableCommands) ? update.availableCommands : [],
        ...meta,
      };
    case 'usage_update': {
      const { sessionUpdate: _kind, _meta: _m, ...usage } = update;
      return { type: 'usage', ...usage, ...meta };
    }
    default:
      return { type: 'agent_update', update };
  }
}

/** Event kinds that belong to a replayed history (session/load), not to a new turn. */
export function isHistoryReplay(update: unknown): boolean {
  if (!isObject(update)) return false;
  return [
    'user_message_chunk',
    'agent_message_chunk',
    'agent_thought_chunk',
    'tool_call',
    'tool_call_update',
    'plan',
  ].includes(String(update.sessionUpdate));
}
