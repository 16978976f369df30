import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type AgentEntry, TSX, tsAgent } from '../helpers/agents-file.ts';
import type { ServerHandle } from '../helpers/server.ts';

export { answerPermission } from '../helpers/calls.ts';
export { TSX };

// Shared by the agents tests: polling the real HTTP API (no timing assertions, only deadlines so a
// broken build fails instead of hanging), fixture agents, process checks.

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes from the API
export type Json = any;

type Srv = Pick<ServerHandle, 'api' | 'rootDir'>;

export const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'agents', 'fixture-agent.ts');
export const EXAMPLE_AGENT = join(
  import.meta.dirname,
  '..',
  '..',
  'node_modules',
  'acp-example-agent',
  'dist',
  'examples',
  'agent.js',
);

const AGENTS_DIR = join(import.meta.dirname, '..', 'fixtures', 'agents');

/** test/fixtures/agents/session-agent.ts in one of its modes (config, models, auth, mcp, notices). */
export const sessionAgent = (id: string, mode: string, env: Record<string, string> = {}): AgentEntry =>
  tsAgent(id, `Session ${mode}`, join(AGENTS_DIR, 'session-agent.ts'), [mode], env);

/** test/fixtures/agents/tools-agent.ts in one of its modes (attach, attach-link, tools). */
export const toolsAgent = (id: string, mode: string): AgentEntry =>
  tsAgent(id, `Tools ${mode}`, join(AGENTS_DIR, 'tools-agent.ts'), [mode]);

/** test/fixtures/agents/fixture-agent.ts in one of its modes (misbehaviours, modes, session/load…). */
export function fixtureAgent(id: string, mode: string, env: Record<string, string> = {}): AgentEntry {
  return tsAgent(id, `Fixture ${mode}`, FIXTURE, [mode], env);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export async function newConversation(s: Srv, agentId: string, cwd?: string): Promise<Json> {
  const r = await s.api('POST', '/api/conversations', { agentId, cwd: cwd ?? s.rootDir });
  if (r.status !== 201) throw new Error(`create conversation: ${r.status} ${r.text}`);
  return r.body.conversation;
}

export async function send(s: Srv, conversationId: string, content: string): Promise<Json> {
  const r = await s.api('POST', `/api/conversations/${conversationId}/messages`, { content });
  if (r.status !== 201) throw new Error(`send: ${r.status} ${r.text}`);
  return r.body.session;
}

/** The session with every event of it, following its pages (CONTRACT section 8, "Paged history"). */
export async function getSession(s: Srv, sessionId: string): Promise<{ session: Json; events: Json[] }> {
  const r = await s.api('GET', `/api/sessions/${sessionId}`);
  if (r.status !== 200) throw new Error(`get session: ${r.status} ${r.text}`);
  const events: Json[] = [...r.body.events];
  for (let next = r.body.nextAfter; typeof next === 'number'; ) {
    const page = await s.api('GET', `/api/sessions/${sessionId}?after=${next}`);
    if (page.status !== 200) throw new Error(`get session page: ${page.status} ${page.text}`);
    events.push(...page.body.events);
    next = page.body.nextAfter;
  }
  return { session: r.body.session, events };
}

const ENDED = new Set(['completed', 'error', 'cancelled', 'interrupted']);

export function finished(s: Srv, sessionId: string, timeoutMs?: number) {
  return waitFor(
    `session ${sessionId} to end`,
    async () => {
      const r = await getSession(s, sessionId);
      return ENDED.has(r.session.status) ? r : null;
    },
    timeoutMs,
  );
}

export function eventOf(
  s: Srv,
  sessionId: string,
  type: string,
  pred: (e: Json) => boolean = () => true,
  timeoutMs?: number,
) {
  return waitFor(
    `a ${type} event in ${sessionId}`,
    async () => {
      const r = await getSession(s, sessionId);
      return r.events.find((e: Json) => e.type === type && pred(e)) ?? null;
    },
    timeoutMs,
  );
}

/** A message sent and its turn finished `completed`: the session and its events. */
export async function turn(
  s: Srv,
  conversationId: string,
  content: string,
): Promise<{ session: Json; events: Json[] }> {
  const r = await finished(s, (await send(s, conversationId, content)).id);
  assert.equal(r.session.status, 'completed', JSON.stringify(r.session));
  return r;
}

export async function conversation(s: Srv, id: string): Promise<Json> {
  const r = await s.api('GET', `/api/conversations/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.body.conversation;
}

/** Every event of a conversation's log. */
export async function conversationEvents(s: Srv, id: string): Promise<Json[]> {
  const r = await s.api('GET', `/api/conversations/${id}/events?after=0&limit=10000`);
  assert.equal(r.status, 200, r.text);
  return r.body.events;
}

export function textOf(events: Json[]): string {
  return events
    .filter((e) => e.type === 'text_delta')
    .map((e) => e.text)
    .join('');
}

/** True while a process exists, zombie included: a reaped process gives ESRCH. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** A completed ordinary turn of a fixture agent: the pid of the agent process that answered it. */
export async function answeringPid(s: Srv, conversationId: string): Promise<number> {
  return pidOf(textOf((await turn(s, conversationId, 'hello')).events));
}

/**
 * A healthy turn, then `trigger` makes the turn fail (`error`, the last error event saying what the
 * session says), the agent process is reaped, and the next message runs on a fresh one.
 */
export async function failureCycle(
  s: Srv,
  agentId: string,
  trigger: string,
): Promise<{ session: Json; events: Json[] }> {
  const conv = await newConversation(s, agentId);
  const pid1 = await answeringPid(s, conv.id);
  const failed = await finished(s, (await send(s, conv.id, trigger)).id);
  assert.equal(failed.session.status, 'error');
  assert.equal(failed.events.filter((e: Json) => e.type === 'error').at(-1).message, failed.session.error);
  await waitFor(`agent ${pid1} to be reaped`, async () => !processExists(pid1));
  assert.notEqual(await answeringPid(s, conv.id), pid1, 'the next message starts a fresh agent');
  return failed;
}

/** The pid a fixture agent reports in its ordinary answer ("pid N turn M: ok"). */
export function pidOf(text: string): number {
  const m = /pid (\d+) turn/.exec(text);
  if (!m) throw new Error(`no pid in "${text}"`);
  return Number(m[1]);
}
