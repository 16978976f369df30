import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config.ts';
import { ROOT_DIR } from '../../root-dir.ts';
import { agentEnv } from '../agent-process.ts';
import type { AgentSpec } from '../types.ts';
import { KeptProcess, launchKeeper } from './link.ts';
import { type KeeperMeta, keeperPaths, keepersDir } from './protocol.ts';

// Whether agents run under keepers (GMGUI_KEEPERS=1; off by default while the feature is young), and
// the keepers a starting server found alive in its data dir (docs/DESIGN.md "Process model").

export interface Adoption {
  meta: KeeperMeta;
  /** The running turn the keeper's agent is answering (null: the agent is idle). */
  sessionId: string | null;
  /** Output events of that turn already stored: the replay skips as many. */
  skip: number;
}

export interface KeeperSettings {
  dir: string;
  idleMs: number;
  maxSpoolBytes: number;
  maxLineBytes: number;
  /** How to run the keeper: node and its bundle (or its source under tsx, from a checkout). */
  command: string[];
  /** Live keepers of the data dir by conversation, found at start and not attached yet. */
  adoptable: Map<string, Adoption>;
}

/** Beside the server bundle (scripts/build-server-if-needed.mjs), the keeper's own bundle. */
const KEEPER_BUNDLE = join(dirname(fileURLToPath(import.meta.url)), 'keeper.mjs');
const KEEPER_MAIN = join(ROOT_DIR, 'src', 'agents', 'keeper', 'main.ts');

export function keeperSettings(config: Config, env: NodeJS.ProcessEnv = process.env): KeeperSettings | null {
  if (env.GMGUI_KEEPERS !== '1') return null;
  const idle = Number(env.GMGUI_KEEPER_IDLE_MS);
  return {
    dir: keepersDir(config.dataDir),
    idleMs: Number.isFinite(idle) && idle >= 100 ? idle : config.agentIdleMs,
    maxSpoolBytes: config.agentMaxTurnOutputBytes,
    maxLineBytes: config.agentMaxMessageBytes,
    command: existsSync(KEEPER_BUNDLE)
      ? [process.execPath, KEEPER_BUNDLE]
      : [process.execPath, '--import', import.meta.resolve('tsx'), KEEPER_MAIN],
    adoptable: new Map(),
  };
}

/** True while the process exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The keepers of a data dir whose keeper and agent both still run. */
export function liveKeepers(dir: string): KeeperMeta[] {
  if (!existsSync(dir)) return [];
  const found: KeeperMeta[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json') || f.endsWith('.spec.json')) continue;
    try {
      const m = JSON.parse(readFileSync(join(dir, f), 'utf8')) as KeeperMeta;
      if (processAlive(m.keeperPid) && processAlive(m.agentPid) && existsSync(keeperPaths(dir, m.id).sock))
        found.push(m);
    } catch {
      // Half-written or gone meanwhile: not a keeper to adopt.
    }
  }
  return found;
}

/** The conversation's agent: its kept one from before the restart if there is one, else a new keeper. */
export async function keptProcess(
  s: KeeperSettings,
  o: { spec: AgentSpec; cwd: string; conversationId: string },
): Promise<KeptProcess> {
  const adoption = s.adoptable.get(o.conversationId);
  if (adoption) {
    s.adoptable.delete(o.conversationId);
    if (adoption.meta.agentId === o.spec.id) {
      try {
        const kp = await KeptProcess.attach(
          keeperPaths(s.dir, adoption.meta.id).sock,
          o.spec,
          o.cwd,
          adoption,
        );
        kp.skip = adoption.skip;
        return kp;
      } catch {
        // It died since the start: a fresh one below.
      }
    }
  }
  return launchKeeper(s, { ...o, env: agentEnv(o.spec) });
}
