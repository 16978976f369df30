import type { Conversation, Session } from '../domain/types.ts';

// What a push says (docs/CONTRACT.md "Push and the installable app"): `{kind, conversationId, title, body,
// url}`. Short, so that it fits a lock screen and stays far below the 4 KB a push service carries.

export type PushKind = 'permission_requested' | 'turn_ended';

export interface PushMessage {
  kind: PushKind;
  conversationId: string;
  title: string;
  body: string;
  /** The conversation in the web app (a hash route under BASE_URL); the service worker opens it. */
  url: string;
}

const MAX_TITLE = 80;
const MAX_BODY = 200;

function clip(s: string, max: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

export function conversationUrl(baseUrl: string, conversationId: string): string {
  return `${baseUrl}/#/c/${encodeURIComponent(conversationId)}`;
}

function titleOf(c: Conversation | null): string {
  return clip(c?.title || 'Conversation', MAX_TITLE);
}

/** The tool call's own title when the agent gave one (ACP `ToolCallUpdate.title`). */
function toolTitle(toolCall: unknown): string | null {
  if (toolCall && typeof toolCall === 'object' && 'title' in toolCall) {
    const t = (toolCall as { title?: unknown }).title;
    if (typeof t === 'string' && t.trim()) return t;
  }
  return null;
}

export function permissionMessage(
  baseUrl: string,
  c: Conversation | null,
  conversationId: string,
  toolCall: unknown,
): PushMessage {
  const what = toolTitle(toolCall);
  return {
    kind: 'permission_requested',
    conversationId,
    title: titleOf(c),
    body: clip(what ? `Needs your permission: ${what}` : 'Needs your permission to continue.', MAX_BODY),
    url: conversationUrl(baseUrl, conversationId),
  };
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 90 ? `${m} min` : `${Math.round(m / 6) / 10} h`;
}

export function turnEndedMessage(
  baseUrl: string,
  c: Conversation | null,
  s: Session,
  ranMs: number,
): PushMessage {
  const took = duration(ranMs);
  const body =
    s.status === 'completed'
      ? `Finished after ${took}.`
      : s.status === 'error'
        ? `Stopped with an error after ${took}${s.error ? `: ${s.error}` : '.'}`
        : `Interrupted after ${took}; you can retry it.`;
  return {
    kind: 'turn_ended',
    conversationId: s.conversationId,
    title: titleOf(c),
    body: clip(body, MAX_BODY),
    url: conversationUrl(baseUrl, s.conversationId),
  };
}
