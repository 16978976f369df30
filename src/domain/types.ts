import { z } from 'zod';

// Entities as the API shows them. Field names follow the seed (snake_case timestamps) so that
// seed-era clients keep working; everything else is camelCase. Each type is inferred from its schema,
// so the events that carry these rows (src/domain/events.ts) are checked against the same shapes the
// code is typed with. No Node imports here: the web client type-checks against this module.

const ConversationStatusSchema = z.enum(['active', 'archived']);
export type ConversationStatus = z.infer<typeof ConversationStatusSchema>;

/** One mode an agent offers (ACP `SessionMode`). */
const SessionModeInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable().optional(),
});
export type SessionModeInfo = z.infer<typeof SessionModeInfoSchema>;

/** One value of a select option, as a picker shows it. */
const ConfigChoiceSchema = z.object({
  value: z.string(),
  name: z.string(),
  description: z.string().optional(),
  /** The name of the group it is listed under (ACP `SessionConfigSelectGroup`), when grouped. */
  group: z.string().optional(),
});

/** One configuration option an agent offers (ACP `SessionConfigOption`), its values flattened. */
const SessionConfigInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(['select', 'boolean']),
  /** The agent's current value; booleans as "true"/"false". */
  currentValue: z.string(),
  /** The values it accepts (select values, or "true" and "false"). */
  values: z.array(z.string()),
  description: z.string().optional(),
  /** ACP's hint of what the option is about (`model`, `mode`, `thought_level`, …), when given. */
  category: z.string().optional(),
  /** The select values with their names, in the agent's order (absent for booleans). */
  choices: z.array(ConfigChoiceSchema).optional(),
});
export type SessionConfigInfo = z.infer<typeof SessionConfigInfoSchema>;

/** One command the agent offers (ACP `AvailableCommand`), e.g. `/review`. */
const AgentCommandSchema = z.object({
  name: z.string(),
  description: z.string(),
  /** What to type after it, when it takes input (ACP `input.hint`). */
  hint: z.string().optional(),
});
export type AgentCommand = z.infer<typeof AgentCommandSchema>;

const ConversationSettingsSchema = z.object({
  /** Answer every permission request with the agent's "allow" option without asking. Off by default. */
  autoApprove: z.boolean(),
  /** Tool kinds (or titles) the user chose "allow always" for, remembered per conversation. */
  allowAlways: z.array(z.string()),
  /**
   * The agent mode (ACP session mode) this conversation is in: the user's choice (POST
   * /api/conversations/{id}/mode) or the mode the agent last reported. Re-applied with
   * `session/set_mode` whenever a new agent process opens the conversation's ACP session.
   * Absent until chosen or reported. (The agent-settings rules: src/domain/agent-settings.ts.)
   */
  modeId: z.string().optional(),
  /**
   * The modes the agent offered when it last opened this conversation's ACP session, recorded by the
   * runner so that any instance can check a choice. Absent until an agent started; empty when the
   * agent has no modes. Not settable by clients.
   */
  availableModes: z.array(SessionModeInfoSchema).optional(),
  /**
   * The configuration options (ACP `configOptions`) the agent offered when it last opened this
   * conversation's ACP session or last reported them, so that any instance can check a choice.
   * Absent until an agent started; empty when it has none. Not settable by clients.
   */
  configOptions: z.array(SessionConfigInfoSchema).optional(),
  /**
   * The values the user chose (POST /api/conversations/{id}/config), by option id; booleans as
   * "true"/"false". Re-applied with `session/set_config_option` whenever a new agent process opens
   * the conversation's ACP session. Absent until chosen.
   */
  configValues: z.record(z.string(), z.string()).optional(),
  /**
   * The commands the agent offered last (ACP `available_commands_update`), kept so a client knows them
   * before a turn and after a reload. Absent until the agent said. Not settable by clients.
   */
  availableCommands: z.array(AgentCommandSchema).optional(),
  /**
   * Where an automatic title came from: `agent` (its `session_info_update`) or `prompt` (a client
   * named the conversation after its first message, PATCH `titleSource`). The agent's title replaces
   * either; a rename by a person clears it.
   */
  titleSource: z.enum(['agent', 'prompt']).optional(),
});
export type ConversationSettings = z.infer<typeof ConversationSettingsSchema>;

export const ConversationSchema = z.object({
  id: z.string(),
  agentId: z.string(),
  title: z.string(),
  cwd: z.string(),
  status: ConversationStatusSchema,
  version: z.number(),
  settings: ConversationSettingsSchema,
  /** The agent's ACP session id (its context), reused after restarts when the agent can load it. */
  acpSessionId: z.string().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
});
export type Conversation = z.infer<typeof ConversationSchema>;

const RoleSchema = z.enum(['user', 'assistant']);

const AssistantContentSchema = z.object({ text: z.string(), blocks: z.array(z.unknown()) });

/**
 * What a user attached to a message (POST …/messages `attachments`, src/attachments/). An image's
 * bytes are stored by SHA-256 in the data directory and served at `url` (a path under BASE_URL); a
 * file is referenced by its real path and read when the prompt is sent.
 */
export const AttachmentSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('image'),
    name: z.string(),
    mimeType: z.string(),
    size: z.number(),
    sha256: z.string(),
    url: z.string(),
  }),
  z.object({ type: z.literal('file'), name: z.string(), path: z.string() }),
]);
export type Attachment = z.infer<typeof AttachmentSchema>;

export const MessageSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  role: RoleSchema,
  content: z.union([z.string(), AssistantContentSchema]),
  sessionId: z.string().nullable(),
  /** The folder the user pointed the agent at with this message, when any. */
  folderContext: z.object({ path: z.string() }).optional(),
  /** What the user attached, when anything. */
  attachments: z.array(AttachmentSchema).optional(),
  created_at: z.number(),
});
export type Message = z.infer<typeof MessageSchema>;

/** One agent turn: one user message and the agent's answer (the seed's "session"; not an ACP session). */
export const SessionStatusSchema = z.enum([
  'pending',
  'processing',
  'completed',
  'error',
  'cancelled',
  'interrupted',
]);
export type SessionStatus = z.infer<typeof SessionStatusSchema>;

export const FINISHED_STATUSES: readonly SessionStatus[] = ['completed', 'error', 'cancelled', 'interrupted'];

export const SessionSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  messageId: z.string(),
  agentId: z.string(),
  status: SessionStatusSchema,
  created_at: z.number(),
  started_at: z.number().nullable(),
  completed_at: z.number().nullable(),
  response: z.object({ text: z.string(), messageId: z.string() }).nullable(),
  error: z.string().nullable(),
  /** A stable word for why an `error` session failed, when known: `auth_required` (sign the agent in). */
  errorCode: z.string().optional(),
  stopReason: z.string().nullable(),
  /** The session this one retries, when it was created by POST /api/sessions/{id}/retry. */
  retryOf: z.string().nullable(),
  /** True once the prompt was handed to the agent: after a crash such a turn is interrupted, not re-run. */
  promptSent: z.boolean(),
});
export type Session = z.infer<typeof SessionSchema>;

export const PermissionOptionSchema = z.object({ optionId: z.string(), name: z.string(), kind: z.string() });
export type PermissionOption = z.infer<typeof PermissionOptionSchema>;

export interface PermissionRequest {
  requestId: string;
  sessionId: string;
  conversationId: string;
  toolCall: unknown;
  options: PermissionOption[];
  status: 'pending' | 'resolved';
  optionId: string | null;
  created_at: number;
  resolved_at: number | null;
}

/**
 * What the store appends: any event row. The store does not interpret events beyond their envelope;
 * what each type carries is `NewAppEvent` (src/domain/events.ts), which every writer uses.
 */
export interface NewEvent {
  type: string;
  conversationId: string;
  sessionId?: string | null;
  [field: string]: unknown;
}

/** An event row as stored in the log and sent to clients; `parseEvent` (events.ts) reads its meaning. */
export interface StoredEvent {
  seq: number;
  type: string;
  conversationId: string;
  sessionId: string | null;
  created_at: number;
  [field: string]: unknown;
}
