import type { AppEvent } from '../../src/domain/events.ts';

// Wire types of the gmgui contract (CONTRACT.md sections 3 and 5), as the client sees them. The
// events come from the server's schemas (type-only imports: nothing of the server is bundled). The
// entities below are the client's looser view (fields it does not use are left out; unknown extra
// fields are tolerated everywhere), so that it keeps working against older servers.

export interface Conversation {
  id: string;
  agentId: string;
  title: string | null;
  cwd: string | null;
  status: string;
  version: number;
  /** The agent's ACP session, once one was opened (null before the first message or agent-session call). */
  acpSessionId?: string | null;
  created_at: number;
  updated_at: number;
  settings?: ConversationSettings;
}

/** One mode an agent offers (ACP `SessionMode`). */
export interface ModeInfo {
  id: string;
  name: string;
  description?: string | null;
}

export interface ConversationSettings {
  /** The mode the conversation is in (the user's choice or the agent's last report). */
  modeId?: string;
  /** What the agent offered when it last ran; absent until an agent ran, empty when it has none. */
  availableModes?: ModeInfo[];
  /** What the agent offers to configure, in the server's shape (CONTRACT "The agent session before the first message"). */
  configOptions?: ConfigOption[];
  /** The values chosen here (`{[configId]: value}`, booleans as "true"/"false"). */
  configValues?: Record<string, string>;
}

/** A slash-command the agent announced (ACP `AvailableCommand`). */
export interface AgentCommand {
  name: string;
  description: string;
  input?: { hint?: string } | null;
}

/**
 * An agent's session configuration option: as ACP writes it in `config` events (`options`, flat or
 * grouped; booleans as booleans) or as the server keeps it in `settings.configOptions` (`choices`,
 * booleans as "true"/"false").
 */
export interface ConfigOption {
  id: string;
  name: string;
  description?: string | null;
  category?: string | null;
  type?: string;
  currentValue?: unknown;
  /** Flat options, or groups of them (`{group, name, options}`). */
  options?: unknown[];
  /** The server's flattened select values with their names. */
  choices?: unknown[];
}

/** Token use of a turn (ACP `UsageUpdate`). */
export interface Usage {
  used: number;
  size: number;
  cost?: { amount: number; currency: string } | null;
}

export type MessageRole = 'user' | 'assistant' | 'system' | string;

/** The assistant's content is a string or `{text, blocks}` (seed format). */
export type MessageContent = string | { text?: string; blocks?: unknown[] };

export interface Message {
  id: string;
  conversationId: string;
  role: MessageRole;
  content: MessageContent;
  sessionId?: string | null;
  idempotencyKey?: string | null;
  created_at: number;
}

export type SessionStatus = 'pending' | 'processing' | 'completed' | 'error' | 'cancelled' | 'interrupted';

export interface Session {
  id: string;
  conversationId: string;
  messageId: string;
  status: SessionStatus;
  created_at?: number;
  started_at?: number | null;
  completed_at?: number | null;
  response?: { text?: string; messageId?: string } | null;
  error?: string | { message?: string } | null;
  stopReason?: string | null;
}

export interface Agent {
  id: string;
  name: string;
  available: boolean;
  reason?: string;
  install?: string;
  description?: string;
}

export interface PermissionOption {
  optionId: string;
  name: string;
  kind?: string;
}

/**
 * One entry of the log, typed by the server's own event vocabulary (src/domain/events.ts; CONTRACT
 * section 5): `switch (ev.type)` narrows it to that type's fields. Each member also tolerates fields
 * a newer server may add; a type this client does not know lands in `default`.
 */
export type GmEvent = Tolerant<AppEvent>;
type Tolerant<E> = E extends unknown ? E & { [field: string]: unknown } : never;

/** The event of one type, e.g. `EventOf<'mode'>`. */
export type EventOf<T extends GmEvent['type']> = Extract<GmEvent, { type: T }>;

export interface ToolCallContentItem {
  type: string;
  // content item: {type:'content', content:{type:'text', text}}
  content?: { type?: string; text?: string; uri?: string; name?: string } | null;
  // diff item
  path?: string;
  oldText?: string | null;
  newText?: string;
  // terminal item
  terminalId?: string;
}

export interface ToolLocation {
  path: string;
  line?: number | null;
}

export interface PlanEntry {
  content: string;
  priority?: string;
  status?: string;
}

/** Text of a message, whatever its content shape. */
export function messageText(m: Pick<Message, 'content'>): string {
  const c = m.content;
  if (typeof c === 'string') return c;
  if (c && typeof c === 'object' && typeof c.text === 'string') return c.text;
  return '';
}

/** A session error can be a string or an object from older servers; always show a sentence. */
export function sessionErrorText(e: Session['error']): string {
  if (!e) return '';
  if (typeof e === 'string') return e;
  return e.message ?? 'Unknown error';
}
