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
  sessions(id: string, status?: string): Promise<{ sessions: Session[] }> {
    return this.call('GET', `api/conversations/${enc(id)}/sessions${status ? `?status=${enc(status)}` : ''}`);
  }
  latestSession(id: string): Promise<{ session: Session | null; events: GmEvent[] }> {
    return this.call('GET', `api/conversations/${enc(id)}/sessions/latest`);
  }
  session(id: string): Promise<{ session: Session; events: GmEvent[] }> {
    return this.call('GET', `api/sessions/${enc(id)}`);
  }
  events(id: string, after: number, limit: number): Promise<{ events: GmEvent[]; lastSeq: number }> {
    return this.call('GET', `api/conversations/${enc(id)}/events?after=${after}&limit=${limit}`);
  }
  sendMessage(id: string, content: string, key: string): Promise<{ status: number; body: unknown }> {
    return this.raw('POST', `api/conversations/${enc(id)}/messages`, { content, idempotencyKey: key });
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
}

function enc(s: string): string {
  return encodeURIComponent(s);
}
