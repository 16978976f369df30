import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { tsAgent, withAgentsFile } from '../helpers/agents-file.ts';
import { type Api, fetchApi } from '../helpers/http.ts';
import { DIST_NODE_FLAGS, ROOT, type TestServer, serverEnv, useServers } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';

// The keeper tests' setting: a data dir, a folder, the slow agent (test/fixtures/agents/slow-stream.ts),
// keepers on. After the file, every keeper still running on the data dir is stopped.

export const SLOW = join(import.meta.dirname, '..', 'fixtures', 'agents', 'slow-stream.ts');

export function keeperSetting() {
  const dir = tempDir('gmgui-keeper-');
  const dataDir = join(dir, 'data');
  const rootDir = tempDir('gmgui-keeper-root-');
  const stateDir = tempDir('gmgui-keeper-state-');
  const env = {
    ...withAgentsFile([tsAgent('slow', 'Slow', SLOW, [], { SLOW_STATE_DIR: stateDir })]),
    GMGUI_KEEPERS: '1',
    GMGUI_KEEPER_IDLE_MS: '20000',
    GMGUI_AGENT_SILENCE_MS: '20000',
  };
  after(() => stopKeepers(dataDir));
  const servers = useServers();
  /** A server on these folders, through `npm start`: in a process group of its own, which kill9() kills whole. */
  const boot = () => servers.start({ dataDir, rootDir, env, npmStart: true });
  return { dataDir, rootDir, stateDir, env, servers, boot };
}

/** The prompts the slow agent received: its pid and the prompt, in order. */
export function prompts(stateDir: string): Array<{ pid: number; prompt: string }> {
  const f = join(stateDir, 'prompts.log');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const i = l.indexOf(' ');
      return { pid: Number(l.slice(0, i)), prompt: l.slice(i + 1) };
    });
}

/** What `stream N` streams: "c0 c1 … c<N-1> ". */
export const streamed = (n: number): string => Array.from({ length: n }, (_, i) => `c${i} `).join('');

export function keeperMetas(
  dataDir: string,
): Array<{ keeperPid: number; agentPid: number; conversationId: string }> {
  const dir = join(dataDir, 'keepers');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.spec.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
}

function stopKeepers(dataDir: string): void {
  for (const m of keeperMetas(dataDir)) {
    for (const pid of [-m.agentPid, m.keeperPid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
}

/**
 * A copy of the server bundle in another build folder (inside the checkout, so its packages resolve):
 * starting it on a data dir is what an upgrade does. Removed after the file.
 */
export function copyOfBuild(): string {
  const dir = join(ROOT, '.tmp', `keeper-build-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, 'dist', 'server'), join(dir, 'dist', 'server'), { recursive: true });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'dist', 'server', 'cli.mjs');
}

/** A server from another build's bundle, in a process group of its own, on a test server's folders. */
export async function startBuild(
  cli: string,
  prev: Pick<TestServer, 'dataDir' | 'rootDir' | 'token'>,
  extra: Record<string, string>,
): Promise<{ api: Api; url: string; rootDir: string; killGroup(sig: NodeJS.Signals): Promise<void> }> {
  const env = {
    ...(process.env as Record<string, string>),
    ...serverEnv(prev, { token: prev.token, env: extra }),
  };
  const proc = spawn(process.execPath, [...DIST_NODE_FLAGS, cli], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  proc.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const killGroup = async (sig: NodeJS.Signals) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    try {
      process.kill(-(proc.pid ?? 0), sig);
    } catch {
      // Gone already.
    }
    await exited;
  };
  after(() => killGroup('SIGKILL'));
  const url = await new Promise<string>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`the other build did not start:\n${out}`)), 30_000);
    proc.stdout?.on('data', () => {
      const m = /gmgui is ready: open (http:\/\/[^/\s]+)/.exec(out);
      if (m) {
        clearTimeout(t);
        ok(m[1]);
      }
    });
    void exited.then(() => fail(new Error(`the other build exited:\n${out}`)));
  });
  return { api: fetchApi(url, prev.token), url, rootDir: prev.rootDir, killGroup };
}
