import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import { type AgentEntry, tsAgent } from '../helpers/agents-file.ts';
import type { ServerHandle } from '../helpers/server.ts';

export { answerPermission, newConversation, sendMessage } from '../helpers/calls.ts';

// Real WebSocket clients for the streaming tests: they speak to the real server exactly as a browser
// or script would, and keep every frame they were given.

export interface Ev {
  seq: number;
  type: string;
  conversationId: string;
  sessionId: string | null;
  [k: string]: unknown;
}

export const FINISHED = new Set(['completed', 'error', 'cancelled', 'interrupted']);

/** What the helpers need of a server: a real process (test/helpers/server.ts) or one started in-process. */
export type Srv = Pick<ServerHandle, 'base' | 'token' | 'api' | 'rootDir'>;

export function wsUrl(s: Srv, pathAndQuery: string): string {
  return `${s.base.replace(/^http/, 'ws')}${pathAndQuery}`;
}

export interface Closed {
  code: number;
  reason: string;
}

/** A client socket that records what it receives. `events` are the events in arrival order, for any endpoint. */
export class Client {
  readonly events: Ev[] = [];
  /** /ws control frames (subscribed, error, pong, …). */
  readonly control: Array<Record<string, unknown>> = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<Closed>;
  private waiters: Array<() => void> = [];

  constructor(
    readonly ws: WebSocket,
    readonly mux: boolean,
  ) {
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as Record<string, unknown>;
      if (!mux) this.events.push(f as Ev);
      else if (f.op === 'event') this.events.push(f.event as Ev);
      else this.control.push(f);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('close', () => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  get lastSeq(): number {
    return this.events.length ? this.events[this.events.length - 1].seq : 0;
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Resolves once `pred` holds (checked after every frame), or rejects after `ms`. */
  async until(pred: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; have ${this.events.length} events`);
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Until this session's `session_updated` with a finished status has arrived. */
  untilFinished(sessionId: string, ms = 30_000): Promise<void> {
    return this.until(
      () => this.events.some((e) => isFinish(e, sessionId)),
      ms,
      `session ${sessionId} to finish`,
    );
  }

  /** The underlying TCP socket, to stop reading from it (a stalled client). */
  tcp(): Socket {
    // biome-ignore lint/suspicious/noExplicitAny: `ws` keeps its socket in a private field; tests need it to stall reading
    return (this.ws as any)._socket as Socket;
  }

  close(): Promise<Closed> {
    this.ws.close();
    return this.closed;
  }

  terminate(): Promise<Closed> {
    this.ws.terminate();
    return this.closed;
  }
}

export function isFinish(e: Ev, sessionId: string): boolean {
  return e.type === 'session_updated' && e.sessionId === sessionId && FINISHED.has(e.status as string);
}

export interface ConnectOptions {
  /** Pass the token as ?token= instead of a Bearer header. */
  queryToken?: boolean;
  headers?: Record<string, string>;
  token?: string | null;
}

function open(s: Srv, path: string, o: ConnectOptions, mux: boolean): Client {
  const token = o.token === undefined ? s.token : o.token;
  const headers: Record<string, string> = { ...o.headers };
  let url = wsUrl(s, path);
  if (token !== null && o.queryToken)
    url += `${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
  else if (token !== null) headers.authorization = `Bearer ${token}`;
  return new Client(new WebSocket(url, { headers }), mux);
}

/** /stream?conversationId=X[&after=N]. */
export function stream(s: Srv, conversationId: string, after?: number, o: ConnectOptions = {}): Client {
  const q = `conversationId=${encodeURIComponent(conversationId)}${after === undefined ? '' : `&after=${after}`}`;
  return open(s, `/stream?${q}`, o, false);
}

/** /sync[?after=N]. */
export function sync(s: Srv, after?: number, o: ConnectOptions = {}): Client {
  return open(s, `/sync${after === undefined ? '' : `?after=${after}`}`, o, false);
}

/** /ws, the multiplexed socket; subscribe with client.send({op:'subscribe', ...}). */
export function mux(s: Srv, o: ConnectOptions = {}): Client {
  return open(s, '/ws', o, true);
}

/** The whole stored log of a conversation after `after`, paged through the REST catch-up route. */
export async function storedEvents(s: Srv, conversationId: string, after = 0, limit = 1000): Promise<Ev[]> {
  const out: Ev[] = [];
  for (;;) {
    const r = await s.api('GET', `/api/conversations/${conversationId}/events?after=${after}&limit=${limit}`);
    assert.equal(r.status, 200, r.text);
    out.push(...(r.body.events as Ev[]));
    if (r.body.events.length < limit) return out;
    after = r.body.events[r.body.events.length - 1].seq;
  }
}

/**
 * Polls the session until it has finished; returns it. With the conversation id it reads the session list,
 * which (unlike GET /api/sessions/{id}) does not carry every event of the turn: cheaper for huge turns.
 */
export async function sessionFinished(
  s: Srv,
  sessionId: string,
  ms = 30_000,
  conversationId?: string,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = conversationId
      ? await s.api('GET', `/api/conversations/${conversationId}/sessions`)
      : await s.api('GET', `/api/sessions/${sessionId}`);
    assert.equal(r.status, 200, r.text);
    const session = conversationId
      ? r.body.sessions.find((x: { id: string }) => x.id === sessionId)
      : r.body.session;
    if (FINISHED.has(session.status)) return session;
    if (Date.now() > deadline) throw new Error(`session ${sessionId} still ${session.status} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Strictly increasing seqs: nothing twice, nothing out of order. */
export function assertStrictlyIncreasing(events: Ev[], label = 'events'): void {
  for (let i = 1; i < events.length; i++) {
    assert.ok(
      events[i].seq > events[i - 1].seq,
      `${label}: seq ${events[i].seq} after ${events[i - 1].seq} at ${i}`,
    );
  }
}

export function seqs(events: Ev[]): number[] {
  return events.map((e) => e.seq);
}

export function textOf(events: Ev[], sessionId: string): string {
  return events
    .filter((e) => e.type === 'text_delta' && e.sessionId === sessionId)
    .map((e) => e.text as string)
    .join('');
}

/** The `stamp` fixture agent (test/fixtures/agents/stream-stamp.ts), for withAgentsFile(). */
export const STAMP: AgentEntry = tsAgent(
  'stamp',
  'Stamp',
  join(import.meta.dirname, '..', 'fixtures', 'agents', 'stream-stamp.ts'),
);

/** An agents file with the stamp agent, written in `dir` (the benchmarks keep their files together). */
export async function writeStampAgentsFile(dir: string): Promise<string> {
  const file = join(dir, 'agents.json');
  await writeFile(file, JSON.stringify({ agents: [STAMP] }));
  return file;
}

/** Wall-clock emission time the stamp agent put at the start of a chunk. */
export function stampOf(text: string): number | null {
  const m = /^<t:(\d+(?:\.\d+)?)>/.exec(text);
  return m ? Number(m[1]) : null;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
