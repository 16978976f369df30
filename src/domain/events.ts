import { z } from 'zod';
import {
  ConversationSchema,
  MessageSchema,
  PermissionOptionSchema,
  SessionSchema,
  SessionStatusSchema,
  type StoredEvent,
} from './types.ts';

// The event vocabulary (CONTRACT section 5, docs/DESIGN.md "the log is the truth"): one schema per
// event type, and every type below inferred from these schemas, so what is validated and what the code
// is typed with cannot drift. On the wire an event is its envelope `{seq, type, conversationId,
// sessionId, created_at}` plus the fields listed here, flat. Lifecycle events change tables and go to
// /sync; agent output events belong to one conversation (and usually one turn) and go only to /stream.
// Writers build `NewAppEvent`s (src/commands/record.ts is the only caller of `tx.append`); readers get
// an `AppEvent` from `parseEvent` and switch on `type`. No Node imports: the web client imports the
// types from here.

/** The agent's `_meta` on the ACP update the event came from, as sent. */
const meta = z.record(z.string(), z.unknown()).optional();

const ModeRequestSchema = z.string();
const ConfigRequestSchema = z.object({ configId: z.string(), value: z.string() });

export const LifecycleEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('conversation_created'), conversation: ConversationSchema }),
  z.object({
    type: z.literal('conversation_updated'),
    /** The whole conversation after the change. */
    conversation: ConversationSchema,
    /** Set when a user chose this mode: the runner holding the agent applies it (agent-settings.ts). */
    modeRequested: ModeRequestSchema.optional(),
    /** Set when a user chose this config value: likewise. */
    configRequested: ConfigRequestSchema.optional(),
  }),
  /** The conversation, its messages and sessions are gone. */
  z.object({ type: z.literal('conversation_deleted') }),
  z.object({
    type: z.literal('message_created'),
    message: MessageSchema,
    /** The key a user message was sent with, so a client matches its optimistic copy. */
    idempotencyKey: z.string().optional(),
  }),
  z.object({ type: z.literal('session_created'), session: SessionSchema }),
  z.object({
    type: z.literal('session_updated'),
    status: SessionStatusSchema,
    /** The whole session after the change. */
    session: SessionSchema,
    /** The assistant message a finished turn produced. */
    message: MessageSchema.optional(),
    error: z.string().optional(),
    /** Stop was pressed; the status is unchanged and the runner stops the agent. */
    cancelRequested: z.literal(true).optional(),
    /** Why an `error` session failed, when known (the session's `errorCode`). */
    errorCode: z.string().optional(),
  }),
  z.object({
    type: z.literal('permission_requested'),
    requestId: z.string(),
    /**
     * The agent's ACP tool call: what it sent with the request, completed with what the turn already
     * knew of that tool call (its content: diffs, text; locations; rawInput), so the ask is visible.
     */
    toolCall: z.unknown(),
    options: z.array(PermissionOptionSchema),
    /** The command line of a shell call (from rawInput.command), when it is one. */
    command: z.string().optional(),
    /** The paths the call touches (its locations and diffs), when any. */
    paths: z.array(z.string()).optional(),
  }),
  z.object({
    type: z.literal('permission_resolved'),
    requestId: z.string(),
    /** null when the request was closed unanswered (turn cancelled or ended). */
    optionId: z.string().nullable(),
    outcome: z.enum(['selected', 'cancelled']),
    /** Answered by the conversation's settings (allow always, auto-approve), not by a person. */
    automatic: z.literal(true).optional(),
    /** Who decided: a person, the auto-approve switch, or a remembered "always allow" rule. */
    decidedBy: z.enum(['user', 'auto', 'rule']).optional(),
    /** The rule that decided (decidedBy `rule`): its id (GET /api/permissions/rules) and key. */
    ruleId: z.string().optional(),
    rule: z.string().optional(),
    /** The chosen option's kind (`allow_once`, `reject_once`, …) and name. */
    optionKind: z.string().optional(),
    optionName: z.string().optional(),
  }),
]);

// A turn's checkpoint and its revert (docs/CONTRACT.md section 9, src/workspace/checkpoints): the
// files the turn changed, by the SHA-256 of their content before it and at its end (null: the file did
// not exist); the contents themselves are kept in the data directory.
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
export const CheckpointFileSchema = z.object({
  path: z.string(),
  before: Sha256.nullable(),
  after: Sha256.nullable(),
  /** The content before the turn could not be saved (too large, unreadable): not revertable. */
  unsaved: z.literal(true).optional(),
});
export const CheckpointEventSchema = z.object({ type: z.literal('checkpoint'), files: z.array(CheckpointFileSchema) });
export const RevertActionSchema = z.enum(['restored', 'removed', 'unchanged']);
export const CheckpointRevertedEventSchema = z.object({
  type: z.literal('checkpoint_reverted'),
  files: z.array(z.object({ path: z.string(), action: RevertActionSchema })),
});

// Agent output (src/agents/update-mapper.ts maps ACP `session/update`s to these). Values the agent
// owns (tool content, plan entries, modes, commands, config options) are kept as it sent them.
export const OutputEventSchema = z.discriminatedUnion('type', [
  /** Reserved by CONTRACT section 5; this server does not write it. */
  z.object({ type: z.literal('status') }),
  z.object({ type: z.literal('text_delta'), text: z.string(), meta }),
  z.object({ type: z.literal('thought_delta'), text: z.string(), meta }),
  z.object({
    type: z.literal('tool_call'),
    toolCallId: z.string(),
    title: z.string(),
    kind: z.string(),
    status: z.string(),
    content: z.array(z.unknown()),
    locations: z.array(z.unknown()),
    rawInput: z.unknown().optional(),
    rawOutput: z.unknown().optional(),
    meta,
  }),
  /**
   * Only the fields that changed; null means "no value" as in ACP. `rejected: true` marks a call the
   * user (or a rule) refused permission for: show it as rejected, not failed.
   */
  z.object({
    type: z.literal('tool_update'),
    toolCallId: z.string(),
    title: z.string().nullable().optional(),
    kind: z.string().nullable().optional(),
    status: z.string().nullable().optional(),
    content: z.array(z.unknown()).nullable().optional(),
    locations: z.array(z.unknown()).nullable().optional(),
    rawInput: z.unknown().optional(),
    rawOutput: z.unknown().optional(),
    rejected: z.literal(true).optional(),
    meta,
  }),
  /**
   * Output of a command the agent runs: a client terminal it created (ACP terminal/create, the
   * `terminalId` it puts in a tool call's `{type:'terminal'}` content) or a shell the agent runs itself
   * and reports through `_meta.terminal_output` (Claude's, Codex's adapters; then `toolCallId` is set).
   * In order; the concatenated `data` of one terminal is its output (bounded, see CONTRACT).
   */
  z.object({
    type: z.literal('terminal_output'),
    terminalId: z.string(),
    data: z.string(),
    toolCallId: z.string().optional(),
  }),
  /** The command ended: its exit code, or the signal that killed it. */
  z.object({
    type: z.literal('terminal_exit'),
    terminalId: z.string(),
    exitCode: z.number().nullable(),
    signal: z.string().nullable(),
    toolCallId: z.string().optional(),
  }),
  /** ACP `session_info_update`: the agent's title for the conversation (it names an untitled one). */
  z.object({
    type: z.literal('session_info'),
    title: z.string().nullable().optional(),
    updatedAt: z.string().nullable().optional(),
    meta,
  }),
  /** ACP `notice`: something to tell the user (`severity` info, warning, error, …), not history. */
  z.object({
    type: z.literal('notice'),
    severity: z.string(),
    title: z.string(),
    description: z.string().nullable().optional(),
    meta,
  }),
  /** ACP `compaction_update`: the agent compacts its context; later ones with the same id patch it. */
  z.object({
    type: z.literal('compaction'),
    compactionId: z.string(),
    status: z.string(),
    summary: z.array(z.unknown()).nullable().optional(),
    error: z.string().nullable().optional(),
    meta,
  }),
  /** ACP `compaction_summary_chunk`: one content block appended to a compaction's summary. */
  z.object({ type: z.literal('compaction_chunk'), compactionId: z.string(), content: z.unknown(), meta }),
  z.object({ type: z.literal('plan'), entries: z.array(z.unknown()), meta }),
  z.object({
    type: z.literal('mode'),
    currentModeId: z.string().nullable(),
    /** The modes offered, when known (always, once the session is open). */
    availableModes: z.array(z.unknown()).optional(),
    meta,
  }),
  /** The session's whole list of configuration options with their current values. */
  z.object({ type: z.literal('config'), configOptions: z.array(z.unknown()), meta }),
  z.object({ type: z.literal('commands'), availableCommands: z.array(z.unknown()), meta }),
  /** ACP usage (`used`, `size`, `cost`) or, with `turn: true`, a turn's token totals: fields as sent. */
  z.looseObject({ type: z.literal('usage'), meta }),
  z.object({ type: z.literal('user_chunk'), content: z.unknown(), meta }),
  /** An update kind (or shape) gmgui does not know, kept raw. */
  z.object({ type: z.literal('agent_update'), update: z.unknown() }),
  CheckpointEventSchema,
  CheckpointRevertedEventSchema,
  z.object({ type: z.literal('done'), stopReason: z.string() }),
  /** `errorCode` when the cause is known: `auth_required` (the agent wants signing in). */
  z.object({ type: z.literal('error'), message: z.string(), errorCode: z.string().optional() }),
]);

export const EventBodySchema = z.discriminatedUnion('type', [LifecycleEventSchema, OutputEventSchema]);

/** The type and fields of one lifecycle event, without the envelope. */
export type LifecycleEventBody = z.infer<typeof LifecycleEventSchema>;
/** The type and fields of one agent output event, without the envelope (what the mapper makes). */
export type OutputEventBody = z.infer<typeof OutputEventSchema>;
export type EventBody = z.infer<typeof EventBodySchema>;
export type EventType = EventBody['type'];
export type LifecycleType = LifecycleEventBody['type'];
export type OutputType = OutputEventBody['type'];

export interface Envelope {
  seq: number;
  conversationId: string;
  sessionId: string | null;
  created_at: number;
}

/** An event as stored and sent: envelope plus fields. Switch on `type` to reach the fields. */
export type AppEvent = EventBody & Envelope;
/** What a writer appends; the store adds `seq` and `created_at` (and `sessionId: null` if absent). */
export type NewAppEvent = EventBody & { conversationId: string; sessionId?: string | null };
/** The event of one type, e.g. `EventOf<'session_updated'>`. */
export type EventOf<T extends EventType> = Extract<AppEvent, { type: T }>;

const typeOf = (s: { shape: { type: z.ZodLiteral<string> } }) => s.shape.type.value;

export const LIFECYCLE_TYPES = LifecycleEventSchema.options.map(typeOf) as readonly LifecycleType[];
export const AGENT_OUTPUT_TYPES = OutputEventSchema.options.map(typeOf) as readonly OutputType[];

const lifecycle = new Set<string>(LIFECYCLE_TYPES);

export function isLifecycleType(type: string): type is LifecycleType {
  return lifecycle.has(type);
}

const schemaByType = new Map<string, z.ZodType<EventBody>>(
  [...LifecycleEventSchema.options, ...OutputEventSchema.options].map((s) => [typeOf(s), s]),
);

export type ParsedEvent = { ok: true; event: AppEvent } | { ok: false; reason: string };

/**
 * Reads one stored event row as the vocabulary says: its fields checked against its type's schema
 * (fields the schema does not know are dropped). A type this server does not know, or a row that lacks
 * what its type promises, is `ok: false` with the reason.
 */
export function parseEvent(row: StoredEvent): ParsedEvent {
  const schema = schemaByType.get(row.type);
  if (!schema) return { ok: false, reason: `Event seq ${row.seq} has an unknown type "${row.type}".` };
  const r = schema.safeParse(row);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue?.path.length ? ` at "${issue.path.join('.')}"` : '';
    return {
      ok: false,
      reason: `Event seq ${row.seq} (${row.type}) is malformed${where}: ${issue?.message}`,
    };
  }
  const { seq, conversationId, sessionId, created_at } = row;
  return { ok: true, event: { ...r.data, seq, conversationId, sessionId, created_at } };
}
