import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AgentEntry } from '../helpers/agents-file.ts';
import { tempDir } from '../helpers/temp.ts';

// The real agents the interop suite drives, as scripts/install-agents.mjs installed them (its
// manifest.json says where each one's program is). A missing agent skips its test file loudly, or
// fails it under GMGUI_REQUIRE_ALL=1 (CI installs them first: .ci/run).

export type InteropAgent = 'claude' | 'codex' | 'gemini' | 'opencode';

interface Installed {
  package: string;
  version: string;
  file: string;
  node: boolean;
  args: string[];
}

export function agentsCache(): string {
  if (process.env.GMGUI_AGENTS_CACHE) return process.env.GMGUI_AGENTS_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'gmgui-agents');
}

function installed(id: InteropAgent): Installed | null {
  try {
    const manifest = JSON.parse(readFileSync(join(agentsCache(), 'manifest.json'), 'utf8'));
    const a = manifest.agents?.[id] as Installed | undefined;
    return a && existsSync(a.file) ? a : null;
  } catch {
    return null;
  }
}

/**
 * The installed agent, or a skip reason after a loud warning. Throws when GMGUI_REQUIRE_ALL=1 and the
 * agent is missing.
 */
export function findAgent(
  id: InteropAgent,
): { agent: Installed; skip: false } | { agent: null; skip: string } {
  const agent = installed(id);
  if (agent) return { agent, skip: false };
  const msg = `the ${id} agent is not installed in ${agentsCache()} (run: node scripts/install-agents.mjs ${id})`;
  if (process.env.GMGUI_REQUIRE_ALL === '1') {
    throw new Error(`${msg}; GMGUI_REQUIRE_ALL=1 forbids skipping the interop tests.`);
  }
  const bar = '!'.repeat(78);
  console.warn(`\n${bar}\n!! ${msg}.\n!! SKIPPING its interop tests.\n${bar}\n`);
  return { agent: null, skip: `${msg}: skipped` };
}

/** The variable that marks an agent's processes (and their children) as this test file's. */
export const MARK_VAR = 'INTEROP_TEST_RUN';

/** The agents-file entry that runs `agent` with this environment. */
export function agentEntry(
  id: string,
  name: string,
  agent: Installed,
  env: Record<string, string>,
): AgentEntry {
  return agent.node
    ? { id, name, command: process.execPath, args: [agent.file, ...agent.args], env }
    : { id, name, command: agent.file, args: agent.args, env };
}

/**
 * A home of its own for an agent: HOME and the XDG folders in a temp folder (removed at exit), so
 * nothing of the user's configuration is read or written. Also a mark to find its processes by.
 */
export function isolatedHome(prefix: string): { home: string; env: Record<string, string> } {
  const home = tempDir(`gmgui-interop-${prefix}-`);
  const xdg = {
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
  };
  for (const d of Object.values(xdg)) mkdirSync(d, { recursive: true });
  return { home, env: { HOME: home, USERPROFILE: home, ...xdg, [MARK_VAR]: randomUUID() } };
}

/** Pids of live processes whose environment carries this mark (agents and whatever they started). */
export function markedPids(mark: string): number[] {
  const needle = `${MARK_VAR}=${mark}`;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      // A zombie has exited: only its parent has not reaped it yet.
      if (env.includes(needle) && !/^\d+ \(.*\) Z/.test(stat)) pids.push(Number(name));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return pids;
}

/** Kills leftover marked processes (cleanup after a test that found some). */
export function killMarked(mark: string): void {
  for (const pid of markedPids(mark)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Preloaded into Node agents (NODE_OPTIONS) to move their clock: see clock-shift.mjs. */
export const CLOCK_SHIFT = join(import.meta.dirname, 'clock-shift.mjs');
