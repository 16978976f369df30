// The event vocabulary (CONTRACT section 5). Lifecycle events change tables and go to /sync;
// agent output events belong to one session and go only to /stream.

export const LIFECYCLE_TYPES = [
  'conversation_created',
  'conversation_updated',
  'conversation_deleted',
  'message_created',
  'session_created',
  'session_updated',
  'permission_requested',
  'permission_resolved',
] as const;

export const AGENT_OUTPUT_TYPES = [
  'status',
  'text_delta',
  'thought_delta',
  'tool_call',
  'tool_update',
  'plan',
  'mode',
  'config',
  'commands',
  'usage',
  'user_chunk',
  'agent_update',
  'done',
  'error',
] as const;

export type LifecycleType = (typeof LIFECYCLE_TYPES)[number];

const lifecycle = new Set<string>(LIFECYCLE_TYPES);

export function isLifecycleType(type: string): boolean {
  return lifecycle.has(type);
}
