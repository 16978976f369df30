import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestServer } from '../helpers/server.ts';

// Shared by the agents tests: polling the real HTTP API (no timing assertions, only deadlines so a
// broken build fails instead of hanging), fixture agents, process checks.

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes from the API
export type Json = any;

export const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'agents', 'fixture-agent.ts');
export const TSX = import.meta.resolve('tsx');
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

export function fixtureAgent(id: string, mode: string, env: Record<string, string> = {}) {
  return {
    id,
    name: `Fixture ${mode}`,
    command: process.execPath,
    args: ['--import', TSX, FIXTURE, mode],
    env,
  };
}

export async function writeAgentsFile(dir: string, agents: unknown[]): Promise<string> {
  const file = join(dir, 'agents.json');
  await writeFile(file, JSON.stringify({ agents }));
  return file;
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

export async function newConversation(s: TestServer, agentId: string, cwd?: string): Promise<Json> {
  const r = await s.api('POST', '/api/conversations', { agentId, cwd: cwd ?? s.rootDir });
  if (r.status !== 201) throw new Error(`create conversation: ${r.status} ${r.text}`);
  return r.body.conversation;
}

export async function send(s: TestServer, conversationId: string, content: string): Promise<Json> {
  const r = await s.api('POST', `/api/conversations/${conversationId}/messages`, { content });
  if (r.status !== 201) throw new Error(`send: ${r.status} ${r.text}`);
  return r.body.session;
}

export async function getSession(
  s: TestServer,
  sessionId: string,
): Promise<{ session: Json; events: Json[] }> {
  const r = await s.api('GET', `/api/sessions/${sessionId}`);
  if (r.status !== 200) throw new Error(`get session: ${r.status} ${r.text}`);
  return r.body;
}

const ENDED = new Set(['completed', 'error', 'cancelled', 'interrupted']);

export function finished(s: TestServer, sessionId: string, timeoutMs?: number) {
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
  s: TestServer,
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

/** The pid a fixture agent reports in its ordinary answer ("pid N turn M: ok"). */
export function pidOf(text: string): number {
  const m = /pid (\d+) turn/.exec(text);
  if (!m) throw new Error(`no pid in "${text}"`);
  return Number(m[1]);
}
