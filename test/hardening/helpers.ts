import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Json, TSX, finished, send, textOf } from '../agents/helpers.ts';
import type { TestServer } from '../helpers/server.ts';

// Shared by the hardening tests: the probe agent and a look at the server's child processes in /proc.

export const PROBE = join(import.meta.dirname, '..', 'fixtures', 'agents', 'probe-agent.ts');

export function probeAgent(id: string, extra: { env?: Record<string, string>; passEnv?: string[] } = {}) {
  return { id, name: `Probe ${id}`, command: process.execPath, args: ['--import', TSX, PROBE], ...extra };
}

/**
 * The pids of the live (or not yet reaped) child processes of `parent` whose command line contains
 * `marker`, read from /proc. A process that ends while being read is simply not counted.
 */
export async function childrenOf(parent: number, marker: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8');
      if (cmdline.includes(marker)) out.push(Number(name));
    } catch {
      // Gone in the meantime.
    }
  }
  return out;
}

/** Sends `text` to a conversation, waits for the turn to complete and parses the answer as JSON. */
export async function answerJson(s: TestServer, conversationId: string, text: string): Promise<Json> {
  const r = await finished(s, (await send(s, conversationId, text)).id);
  assert.equal(r.session.status, 'completed', JSON.stringify(r.session));
  return JSON.parse(textOf(r.events));
}
