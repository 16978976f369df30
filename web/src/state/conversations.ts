// The sidebar's list of conversations: a GET /api/conversations snapshot merged with the lifecycle
// events of /sync. Conversation rows carry a `version`, so a snapshot and events can be merged in
// any order: the higher version wins, and a deletion is remembered so that a late snapshot does
// not bring the conversation back.

import type { Conversation, GmEvent, Session } from '../types';

export interface Activity {
  /** Sessions of the conversation known to be queued or running. */
  running: Record<string, true>;
  /** Permission requests waiting for an answer. */
  waiting: Record<string, true>;
}

export interface ListState {
  byId: Record<string, Conversation>;
  deleted: Record<string, true>;
  /** Highest /sync seq applied (0: none yet). */
  cursor: number;
  activity: Record<string, Activity>;
}

export const emptyList: ListState = { byId: {}, deleted: {}, cursor: 0, activity: {} };

function newer(a: Conversation | undefined, b: Conversation): boolean {
  if (!a) return true;
  if (b.version !== a.version) return b.version > a.version;
  return b.updated_at >= a.updated_at;
}

export function mergeSnapshot(s: ListState, conversations: readonly Conversation[]): ListState {
  const byId = { ...s.byId };
  for (const c of conversations) if (!s.deleted[c.id] && newer(byId[c.id], c)) byId[c.id] = c;
  return { ...s, byId };
}

export function upsert(s: ListState, c: Conversation): ListState {
  if (s.deleted[c.id] || !newer(s.byId[c.id], c)) return s;
  return { ...s, byId: { ...s.byId, [c.id]: c } };
}

export function remove(s: ListState, id: string): ListState {
  const byId = { ...s.byId };
  delete byId[id];
  const activity = { ...s.activity };
  delete activity[id];
  return { ...s, byId, activity, deleted: { ...s.deleted, [id]: true } };
}

function withActivity(s: ListState, convId: string, fn: (a: Activity) => Activity): ListState {
  const prev = s.activity[convId] ?? { running: {}, waiting: {} };
  return { ...s, activity: { ...s.activity, [convId]: fn(prev) } };
}

function setKey(rec: Record<string, true>, key: string, on: boolean): Record<string, true> {
  if (!!rec[key] === on) return rec;
  const next = { ...rec };
  if (on) next[key] = true;
  else delete next[key];
  return next;
}

export function applySyncEvent(s: ListState, ev: GmEvent): ListState {
  if (typeof ev.seq !== 'number' || ev.seq <= s.cursor) return s;
  let cur: ListState = { ...s, cursor: ev.seq };
  const convId = ev.conversationId ?? '';
  switch (ev.type) {
    case 'conversation_created':
    case 'conversation_updated': {
      const c = ev.conversation as Conversation | undefined;
      if (c && typeof c.id === 'string') cur = upsert(cur, c);
      return cur;
    }
    case 'conversation_deleted': {
      const id = typeof ev.conversationId === 'string' ? ev.conversationId : '';
      return id ? remove(cur, id) : cur;
    }
    case 'message_created': {
      // A new message makes the conversation the most recent one even if the server does not
      // send a conversation_updated for it.
      const c = cur.byId[convId];
      const at = typeof ev.created_at === 'number' ? ev.created_at : 0;
      if (c && at > c.updated_at) cur = { ...cur, byId: { ...cur.byId, [convId]: { ...c, updated_at: at } } };
      return cur;
    }
    case 'session_created':
    case 'session_updated': {
      if (!convId || cur.deleted[convId]) return cur;
      const session = ev.session as Session | undefined;
      const sid = ev.sessionId ?? session?.id;
      const status = (typeof ev.status === 'string' ? ev.status : session?.status) ?? '';
      if (!sid) return cur;
      const on = status === 'pending' || status === 'processing';
      return withActivity(cur, convId, (a) => ({
        running: setKey(a.running, sid, on),
        waiting: on ? a.waiting : dropSession(a.waiting, sid),
      }));
    }
    case 'permission_requested':
    case 'permission_resolved': {
      if (!convId || cur.deleted[convId] || typeof ev.requestId !== 'string') return cur;
      const key = `${ev.sessionId ?? ''}/${ev.requestId}`;
      const on = ev.type === 'permission_requested';
      return withActivity(cur, convId, (a) => ({ ...a, waiting: setKey(a.waiting, key, on) }));
    }
    default:
      return cur;
  }
}

function dropSession(waiting: Record<string, true>, sid: string): Record<string, true> {
  let next = waiting;
  for (const k of Object.keys(waiting)) {
    if (k.startsWith(`${sid}/`)) {
      if (next === waiting) next = { ...waiting };
      delete next[k];
    }
  }
  return next;
}

/** Newest `updated_at` first; ties broken by id (as the server does) so every tab shows the same order. */
export function sortedConversations(s: ListState): Conversation[] {
  return Object.values(s.byId).sort(
    (a, b) => b.updated_at - a.updated_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

export function titleOf(c: Pick<Conversation, 'title' | 'id'>): string {
  return c.title?.trim() || 'Untitled conversation';
}

/** Title filter (case-insensitive, every word must match). */
export function matchesTitle(c: Conversation, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const t = titleOf(c).toLowerCase();
  return words.every((w) => t.includes(w));
}
