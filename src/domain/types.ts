// Entities as the API shows them. Field names follow the seed (snake_case timestamps) so that
// seed-era clients keep working; everything else is camelCase.

export type ConversationStatus = 'active' | 'archived';

export interface ConversationSettings {
  /** Answer every permission request with the agent's "allow" option without asking. Off by default. */
  autoApprove: boolean;
  /** Tool kinds (or titles) the user chose "allow always" for, remembered per conversation. */
  allowAlways: string[];
  /**
   * The agent mode (ACP session mode) this conversation is in: the user's choice (POST
   * /api/conversations/{id}/mode) or the mode the agent last reported. Re-applied with
   * `session/set_mode` whenever a new agent process opens the conversation's ACP session.
   * Absent until chosen or reported.
   */
  modeId?: string;
  /**
   * The modes the agent offered when it last opened this conversation's ACP session, recorded by the
   * runner so that any instance can check a choice. Absent until an agent started; empty when the
   * agent has no modes. Not settable by clients.
   */
  availableModes?: SessionModeInfo[];
  /**
   * The configuration options (ACP `configOptions`) the agent offered when it last opened this
   * conversation's ACP session or last reported them, so that any instance can check a choice.
   * Absent until an agent started; empty when it has none. Not settable by clients.
   */
  configOptions?: SessionConfigInfo[];
  /**
   * The values the user chose (POST /api/conversations/{id}/config), by option id; booleans as
   * "true"/"false". Re-applied with `session/set_config_option` whenever a new agent process opens
   * the conversation's ACP session. Absent until chosen.
   */
  configValues?: Record<string, string>;
}

/** One configuration option an agent offers (ACP `SessionConfigOption`), its values flattened. */
export interface SessionConfigInfo {
  id: string;
  name: string;
  type: 'select' | 'boolean';
  /** The agent's current value; booleans as "true"/"false". */
  currentValue: string;
  /** The values it accepts (select values, or "true" and "false"). */
  values: string[];
}

/** One mode an agent offers (ACP `SessionMode`). */
export interface SessionModeInfo {
  id: string;
  name: string;
  description?: string | null;
}

export interface Conversation {
  id: string;
  agentId: string;
  title: string;
  cwd: string;
  status: ConversationStatus;
  version: number;
  settings: ConversationSettings;
  /** The agent's ACP session id (its context), reused after restarts when the agent can load it. */
  acpSessionId: string | null;
  created_at: number;
  updated_at: number;
}

export type Role = 'user' | 'assistant';

export interface AssistantContent {
  text: string;
  blocks: unknown[];
}

export interface Message {
  id: string;
  conversationId: string;
  role: Role;
  content: string | AssistantContent;
  sessionId: string | null;
  /** The folder the user pointed the agent at with this message, when any. */
  folderContext?: { path: string };
  created_at: number;
}

/** One agent turn: one user message and the agent's answer (the seed's "session"; not an ACP session). */
export type SessionStatus = 'pending' | 'processing' | 'completed' | 'error' | 'cancelled' | 'interrupted';

export const FINISHED_STATUSES: readonly SessionStatus[] = ['completed', 'error', 'cancelled', 'interrupted'];

export interface Session {
  id: string;
  conversationId: string;
  messageId: string;
  agentId: string;
  status: SessionStatus;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  response: { text: string; messageId: string } | null;
  error: string | null;
  stopReason: string | null;
  /** The session this one retries, when it was created by POST /api/sessions/{id}/retry. */
  retryOf: string | null;
  /** True once the prompt was handed to the agent: after a crash such a turn is interrupted, not re-run. */
  promptSent: boolean;
}

export interface PermissionOption {
  optionId: string;
  name: string;
  kind: string;
}

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

/** What a command appends; the store gives it `seq` and `created_at`. */
export interface NewEvent {
  type: string;
  conversationId: string;
  sessionId?: string | null;
  [field: string]: unknown;
}

/** An event as stored in the log and sent to clients. */
export interface StoredEvent {
  seq: number;
  type: string;
  conversationId: string;
  sessionId: string | null;
  created_at: number;
  [field: string]: unknown;
}
