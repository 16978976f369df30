// REST client for CONTRACT section 3. Every call is relative to the app base, sends the session
// cookie, and turns failures into ApiError (with the server's `code`) or status 0 (no answer).

import type { Agent, Conversation, GmEvent, Message, Session } from '../types';
import { apiUrl } from './base';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiOptions {
  base: URL;
  onUnauthorized: () => void;
  timeoutMs?: number;
}

export interface SendMessageBody {
  message: Message;
  session: Session;
  idempotencyKey: string;
}

/**
 * What POST …/messages takes in `attachments` (CONTRACT section 11), exactly: the server is strict.
 * An image's `data` is its bytes in base64 with padding; a file's `path` is absolute or relative to
 * the conversation's folder.
 */
export type AttachmentInput =
  | { type: 'image'; mimeType: string; data: string; name?: string }
  | { type: 'file'; path: string };

/** One page of a session's events; `nextAfter` is absent from servers that sent all at once. */
interface SessionPage {
  session?: Session | null;
  events?: GmEvent[];
  nextAfter?: number | null;
}

export class Api {
  constructor(private readonly opts: ApiOptions) {}

  /** Low level: never throws for HTTP errors, returns status 0 when nothing answered. */
  async raw(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: unknown }> {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), this.opts.timeoutMs ?? 20_000);
    try {
      const res = await fetch(apiUrl(this.opts.base, path), {
        method,
        credentials: 'same-origin',
        headers:
          body === undefined
            ? { accept: 'application/json', ...headers }
            : { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: ctrl.signal,
        cache: 'no-store',
      });
      let parsed: unknown = null;
      const text = await res.text();
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = { error: text.slice(0, 200) };
        }
      }
      if (res.status === 401) this.opts.onUnauthorized();
      return { status: res.status, body: parsed };
    } catch {
      return { status: 0, body: null };
    } finally {
      clearTimeout(timer);
    }
  }

  async call<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const r = await this.raw(method, path, body, headers);
    if (r.status >= 200 && r.status < 300) return r.body as T;
    if (r.status === 0) throw new ApiError(0, 'offline', 'The server cannot be reached.');
    const b = (r.body ?? {}) as { error?: string; code?: string };
    throw new ApiError(r.status, b.code ?? `http_${r.status}`, b.error ?? `The server answered ${r.status}.`);
  }

  listConversations(q?: string): Promise<{ conversations: Conversation[] }> {
    return this.call('GET', q ? `api/conversations?q=${encodeURIComponent(q)}` : 'api/conversations');
  }
  getConversation(id: string): Promise<{ conversation: Conversation }> {
    return this.call('GET', `api/conversations/${enc(id)}`);
  }
  createConversation(
    body: { agentId: string; title?: string; cwd?: string },
    key: string,
  ): Promise<{ conversation: Conversation }> {
    return this.call('POST', 'api/conversations', body, { 'idempotency-key': key });
  }
  updateConversation(
    id: string,
    body: { title?: string },
    version?: number,
  ): Promise<{ conversation: Conversation }> {
    return this.call(
      'POST',
      `api/conversations/${enc(id)}`,
      body,
      version === undefined ? {} : { 'if-match': String(version) },
    );
  }
  deleteConversation(id: string): Promise<{ deleted: boolean }> {
    return this.call('DELETE', `api/conversations/${enc(id)}`);
  }
  /** The newest `limit` messages (or the `limit` before `before`), oldest first. */
  messagePage(
    id: string,
    limit: number,
    before?: string,
  ): Promise<{ messages: Message[]; hasMore: boolean }> {
    const q = `limit=${limit}${before ? `&before=${enc(before)}` : ''}`;
    return this.call<{ messages: Message[]; hasMore?: boolean }>(
      'GET',
      `api/conversations/${enc(id)}/messages?${q}`,
    ).then((r) => ({ messages: r.messages ?? [], hasMore: r.hasMore === true }));
  }
  setMode(id: string, modeId: string): Promise<{ conversation: Conversation }> {
    return this.call('POST', `api/conversations/${enc(id)}/mode`, { modeId });
  }
  /** A config option of the conversation's agent (CONTRACT: POST …/config); booleans as booleans. */
  setConfig(id: string, configId: string, value: string | boolean): Promise<{ conversation: Conversation }> {
    return this.call('POST', `api/conversations/${enc(id)}/config`, { configId, value });
  }
  /** Opens the agent's session before the first message, so its options can be chosen (CONTRACT). */
  openAgentSession(id: string): Promise<{ conversation: Conversation }> {
    return this.call('POST', `api/conversations/${enc(id)}/agent-session`);
  }
  sessions(id: string, status?: string): Promise<{ sessions: Session[] }> {
    return this.call('GET', `api/conversations/${enc(id)}/sessions${status ? `?status=${enc(status)}` : ''}`);
  }
  /** The latest turn with every event of it, following its pages (CONTRACT section 8, "Paged history"). */
  async latestSession(id: string): Promise<{ session: Session | null; events: GmEvent[] }> {
    const first = await this.call<SessionPage>('GET', `api/conversations/${enc(id)}/sessions/latest`);
    if (!first.session) return { session: null, events: first.events ?? [] };
    return { session: first.session, events: await this.restOfSession(first.session.id, first) };
  }
  async session(id: string): Promise<{ session: Session; events: GmEvent[] }> {
    const first = await this.call<SessionPage & { session: Session }>('GET', `api/sessions/${enc(id)}`);
    return { session: first.session, events: await this.restOfSession(id, first) };
  }
  /** A page holds a bounded number of bytes; `nextAfter` names the next one until there is none. */
  private async restOfSession(id: string, first: SessionPage): Promise<GmEvent[]> {
    const events = [...(first.events ?? [])];
    let next = first.nextAfter;
    while (typeof next === 'number') {
      const page = await this.call<SessionPage>('GET', `api/sessions/${enc(id)}?after=${next}`);
      events.push(...(page.events ?? []));
      next = page.nextAfter;
    }
    return events;
  }
  events(id: string, after: number, limit: number): Promise<{ events: GmEvent[]; lastSeq: number }> {
    return this.call('GET', `api/conversations/${enc(id)}/events?after=${after}&limit=${limit}`);
  }
  sendMessage(
    id: string,
    content: string,
    key: string,
    attachments?: readonly AttachmentInput[],
  ): Promise<{ status: number; body: unknown }> {
    // Without attachments the body stays what older servers take.
    const body = attachments?.length
      ? { content, idempotencyKey: key, attachments }
      : { content, idempotencyKey: key };
    return this.raw('POST', `api/conversations/${enc(id)}/messages`, body);
  }
  cancel(sessionId: string): Promise<unknown> {
    return this.call('POST', `api/sessions/${enc(sessionId)}/cancel`);
  }
  answerPermission(sessionId: string, requestId: string, optionId: string): Promise<unknown> {
    return this.call('POST', `api/sessions/${enc(sessionId)}/permissions/${enc(requestId)}`, { optionId });
  }
  retry(sessionId: string, key: string): Promise<{ session: Session }> {
    return this.call('POST', `api/sessions/${enc(sessionId)}/retry`, undefined, { 'idempotency-key': key });
  }
  agents(): Promise<{ agents: Agent[] }> {
    return this.call('GET', 'api/agents');
  }
  home(): Promise<{ home: string; roots?: string[] }> {
    return this.call('GET', 'api/home');
  }
  folders(path: string): Promise<{ folders: { name: string }[] }> {
    return this.call('POST', 'api/folders', { path });
  }
  /** A new conversation continuing from a message (CONTRACT "The agent's own sessions and forks"). */
  fork(id: string, messageId: string, key: string): Promise<ForkResult> {
    return this.call('POST', `api/conversations/${enc(id)}/fork`, { messageId, idempotencyKey: key });
  }
  /** Posts an exported JSONL file as it is (CONTRACT "Export and import"): 201 made, 200 here already. */
  async importConversation(text: string): Promise<{ conversation: Conversation }> {
    const ctrl = new AbortController();
    // A big file takes a while to upload and verify.
    const timer = setTimeout(() => ctrl.abort(), Math.max(this.opts.timeoutMs ?? 20_000, 120_000));
    let res: Response;
    try {
      res = await fetch(apiUrl(this.opts.base, 'api/conversations/import'), {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/x-ndjson', accept: 'application/json' },
        body: text,
        signal: ctrl.signal,
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'offline', 'The server cannot be reached.');
    } finally {
      clearTimeout(timer);
    }
    const raw = await res.text().catch(() => '');
    let body: { conversation?: Conversation; error?: string; code?: string } = {};
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      body = { error: raw.slice(0, 200) };
    }
    if (res.status === 401) this.opts.onUnauthorized();
    if (res.ok && body.conversation) return { conversation: body.conversation };
    throw new ApiError(
      res.status,
      body.code ?? `http_${res.status}`,
      body.error ?? `The server answered ${res.status}.`,
    );
  }
}

export interface ForkResult {
  conversation: Conversation;
  /** The agent's session was forked too: it remembers the copied history. */
  forkedAgentSession: boolean;
  /** Why not, when it was not (CONTRACT: not_latest, no_agent_session, turn_running, …). */
  freshReason?: string;
}

function enc(s: string): string {
  return encodeURIComponent(s);
}
