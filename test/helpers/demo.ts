/**
 * The kinds of event the demo agent's default answer streams (its script: src/agents/demo/script.ts),
 * permission request included: what "a turn with every kind of update" checks for.
 */
export const DEMO_ANSWER_TYPES = [
  'thought_delta',
  'plan',
  'tool_call',
  'tool_update',
  'permission_requested',
  'permission_resolved',
  'text_delta',
] as const;
