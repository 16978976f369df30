import assert from 'node:assert/strict';
import type { ServerHandle } from './server.ts';

// The API calls nearly every test makes first, asserting they worked.

type Srv = Pick<ServerHandle, 'api' | 'rootDir'>;

/** A new conversation with `agentId` in the server's root folder; its id. */
export async function newConversation(s: Srv, agentId = 'demo'): Promise<string> {
  const r = await s.api('POST', '/api/conversations', { agentId, cwd: s.rootDir });
  assert.equal(r.status, 201, r.text);
  return r.body.conversation.id as string;
}

/** Sends a message; the id of the session (agent turn) it started. */
export async function sendMessage(
  s: Pick<ServerHandle, 'api'>,
  conversationId: string,
  content: string,
): Promise<string> {
  const r = await s.api('POST', `/api/conversations/${conversationId}/messages`, { content });
  assert.equal(r.status, 201, r.text);
  return r.body.session.id as string;
}

/** Answers an agent's permission request (a `permission_requested` event) with one of its options. */
export function answerPermission(
  s: Pick<ServerHandle, 'api'>,
  request: { sessionId: string | null; requestId?: unknown },
  optionId: string,
) {
  const path = `/api/sessions/${request.sessionId}/permissions/${String(request.requestId)}`;
  return s.api('POST', path, { optionId });
}
