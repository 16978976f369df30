import type { OutputEventBody } from '../domain/events.ts';

// Maps one raw ACP `session/update` payload to the event we store (CONTRACT section 5; the fields of
// each type: src/domain/events.ts). It works on raw JSON on purpose: the SDK's v1 schema rejects
// update kinds it does not know, and real agents send newer kinds, `_meta` fields and partial tool
// calls. Unknown kinds are kept raw as `agent_update`; a field of the wrong shape is left out (or
// defaulted); nothing here throws on odd input. test/unit/events.test.ts checks every output against
// the schemas.

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isText = (v: unknown): v is string | null => typeof v === 'string' || v === null;
const isList = (v: unknown): v is unknown[] | null => Array.isArray(v) || v === null;

/**
 * The fields of a tool_call_update that are present and well-formed, so updates carry only what
 * changed (null, as in ACP, means "no value").
 */
function toolChanges(u: Json) {
  return {
    ...(isText(u.title) ? { title: u.title } : {}),
    ...(isText(u.kind) ? { kind: u.kind } : {}),
    ...(isText(u.status) ? { status: u.status } : {}),
    ...(isList(u.content) ? { content: u.content } : {}),
    ...(isList(u.locations) ? { locations: u.locations } : {}),
    ...(u.rawInput !== undefined ? { rawInput: u.rawInput } : {}),
    ...(u.rawOutput !== undefined ? { rawOutput: u.rawOutput } : {}),
  };
}

export function mapSessionUpdate(update: unknown): OutputEventBody {
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
      return { type: 'tool_update', toolCallId: update.toolCallId, ...toolChanges(update), ...meta };
    case 'plan':
      return { type: 'plan', entries: Array.isArray(update.entries) ? update.entries : [], ...meta };
    case 'current_mode_update':
      return {
        type: 'mode',
        currentModeId: typeof update.currentModeId === 'string' ? update.currentModeId : null,
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
    case 'session_info_update':
      return {
        type: 'session_info',
        ...(isText(update.title) ? { title: update.title } : {}),
        ...(isText(update.updatedAt) ? { updatedAt: update.updatedAt } : {}),
        ...meta,
      };
    case 'notice':
      if (typeof update.title !== 'string') return { type: 'agent_update', update };
      return {
        type: 'notice',
        severity: typeof update.severity === 'string' ? update.severity : 'info',
        title: update.title,
        ...(isText(update.description) ? { description: update.description } : {}),
        ...meta,
      };
    case 'compaction_update':
      if (typeof update.compactionId !== 'string') return { type: 'agent_update', update };
      return {
        type: 'compaction',
        compactionId: update.compactionId,
        status: typeof update.status === 'string' ? update.status : 'in_progress',
        ...(isList(update.summary) ? { summary: update.summary } : {}),
        ...(isText(update.error) ? { error: update.error } : {}),
        ...meta,
      };
    case 'compaction_summary_chunk':
      if (typeof update.compactionId !== 'string') return { type: 'agent_update', update };
      return { type: 'compaction_chunk', compactionId: update.compactionId, content: content ?? null, ...meta };
    case 'usage_update': {
      // As sent, except the names the event itself uses: an agent cannot change an event's type.
      const { sessionUpdate: _kind, _meta: _m, type: _t, meta: _n, ...usage } = update;
      return { ...usage, type: 'usage', ...meta };
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

const TERMINAL_OUTPUT_KEYS = ['terminal_output', 'terminal_output_delta'];
const TERMINAL_META_KEYS = [...TERMINAL_OUTPUT_KEYS, 'terminal_exit'];

/**
 * The `_meta` terminal convention of Claude's and Codex's adapters (they run shell commands themselves
 * and report them on tool call updates: `terminal_output {terminal_id, data}` or
 * `terminal_output_delta`, then `terminal_exit {terminal_id, exit_code, signal}`) as the same
 * `terminal_output` / `terminal_exit` events a client terminal writes. Returns those events and the
 * update without these keys (null when nothing else is left of it), so the output is stored once.
 */
export function splitTerminalMeta(update: unknown): { events: OutputEventBody[]; update: unknown | null } {
  if (!isObject(update) || !isObject(update._meta)) return { events: [], update };
  const kind = update.sessionUpdate;
  if ((kind !== 'tool_call' && kind !== 'tool_call_update') || typeof update.toolCallId !== 'string')
    return { events: [], update };
  const toolCallId = update.toolCallId;
  const m = update._meta;
  const events: OutputEventBody[] = [];
  const idOf = (v: Json) => (typeof v.terminal_id === 'string' && v.terminal_id ? v.terminal_id : toolCallId);
  for (const key of TERMINAL_OUTPUT_KEYS) {
    const v = m[key];
    if (isObject(v) && typeof v.data === 'string' && v.data)
      events.push({ type: 'terminal_output', terminalId: idOf(v), data: v.data, toolCallId });
  }
  const exit = m.terminal_exit;
  if (isObject(exit)) {
    events.push({
      type: 'terminal_exit',
      terminalId: idOf(exit),
      exitCode: typeof exit.exit_code === 'number' ? exit.exit_code : null,
      signal: typeof exit.signal === 'string' ? exit.signal : null,
      toolCallId,
    });
  }
  if (!TERMINAL_META_KEYS.some((k) => k in m)) return { events, update };
  const rest: Json = {};
  for (const [k, v] of Object.entries(m)) if (!TERMINAL_META_KEYS.includes(k)) rest[k] = v;
  const { _meta: _old, ...fields } = update;
  const stripped: Json = Object.keys(rest).length ? { ...fields, _meta: rest } : fields;
  // A tool_call_update that carried only the terminal output: nothing else to record.
  const onlyId = kind === 'tool_call_update' && Object.keys(stripped).every((k) => k === 'sessionUpdate' || k === 'toolCallId');
  return { events, update: onlyId ? null : stripped };
}
