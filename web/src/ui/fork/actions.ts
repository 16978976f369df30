// What the fork, edit and import actions do, outside the components that offer them.

import type { Client } from '../../client/client';
import { upsert } from '../../state/conversations';
import { newKey } from '../../outbox/core';
import type { Conversation } from '../../types';
import { setDraft } from '../composer/Composer';
import { freshSessionNotice } from './fork-text';

const FRESH = 'gmgui.fork.fresh.';

/** Remembers (for this tab) that a fork's agent starts afresh, so the fork says so while open. */
function rememberFresh(conversationId: string, reason: string | undefined): void {
  try {
    sessionStorage.setItem(FRESH + conversationId, freshSessionNotice(reason));
  } catch {
    // The notice is a courtesy; the history shows either way.
  }
}

export function freshNoticeOf(conversationId: string): string | null {
  try {
    return sessionStorage.getItem(FRESH + conversationId);
  } catch {
    return null;
  }
}

export function forgetFresh(conversationId: string): void {
  try {
    sessionStorage.removeItem(FRESH + conversationId);
  } catch {
    // Nothing to forget.
  }
}

function open(client: Client, c: Conversation): void {
  client.store.set((s) => ({ list: upsert(s.list, c) }));
  client.select(c.id);
}

/** Forks at a message and opens the fork. */
export async function forkAt(
  client: Client,
  conversationId: string,
  messageId: string,
): Promise<Conversation> {
  const r = await client.api.fork(conversationId, messageId, newKey());
  if (!r.forkedAgentSession) rememberFresh(r.conversation.id, r.freshReason);
  return r.conversation;
}

/**
 * Edit-and-resend (CONTRACT: a fork at the message before the edited one): opens the fork with the
 * old text in its composer, to change and send. The first message has nothing before it: then a new
 * conversation with the same agent and folder.
 */
export async function editAndResend(client: Client, conversationId: string, messageId: string, text: string) {
  const before = await client.api.messagePage(conversationId, 1, messageId);
  const prev = before.messages[before.messages.length - 1];
  let c: Conversation;
  if (prev) c = await forkAt(client, conversationId, prev.id);
  else {
    const from = client.store.get().list.byId[conversationId] ?? client.store.get().view?.conversation;
    if (!from) throw new Error('The conversation is not loaded.');
    const body: { agentId: string; cwd?: string; title?: string } = { agentId: from.agentId };
    if (from.cwd) body.cwd = from.cwd;
    if (from.title) body.title = `${from.title} (edited)`;
    c = (await client.api.createConversation(body, newKey())).conversation;
  }
  setDraft(c.id, text);
  open(client, c);
}

export async function forkAndOpen(client: Client, conversationId: string, messageId: string) {
  open(client, await forkAt(client, conversationId, messageId));
}

export async function importFile(client: Client, file: File): Promise<void> {
  const text = await file.text();
  const { conversation } = await client.api.importConversation(text);
  open(client, conversation);
}
