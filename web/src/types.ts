// Wire types of the gmgui contract (CONTRACT.md sections 3 and 5), as the client sees them.
// Fields the client does not use are left out; unknown extra fields are tolerated everywhere.

export interface Conversation {
  id: string;
  agentId: string;
  title: string | null;
  cwd: string | null;
  status: string;
  version: number;
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
}

/** A slash-command the agent announced (ACP `AvailableCommand`). */
export interface AgentCommand {
  name: string;
  description: string;
  input?: { hint?: string } | null;
}

/** An agent's session configuration option (ACP `SessionConfigOption`), shown read-only. */
export interface ConfigOption {
  id: string;
  name: string;
  description?: string | null;
  category?: string | null;
  type?: string;
  currentValue?: unknown;
  /** Flat options, or groups of them (`{group, name, options}`). */
  options?: unknown[];
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

/** One entry of the log. `type` decides which other fields exist. */
export interface GmEvent {
  seq: number;
  type: string;
  conversationId: string | null;
  sessionId: string | null;
  created_at?: number;
  [field: string]: unknown;
}

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
