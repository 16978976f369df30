import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Api, fetchApi } from './http.ts';
import { useResource } from './use.ts';

export type { Api, ApiResponse } from './http.ts';

// A real gmgui server process for tests: the shipped entry point, exactly as `npm start` runs it (the
// bundle dist/server/cli.mjs with the Node flags of package.json "start"), on an ephemeral port with
// its own temp data dir and roots. PORT=0 lets the OS pick the port; we read it back from the "ready"
// line the CLI prints. Validation tests use the in-process server instead (test/helpers/in-process.ts).

export const ROOT = join(import.meta.dirname, '..', '..');
const BUNDLE = 'dist/server/cli.mjs';
/** The bundle `npm start` runs. */
export const DIST_CLI = join(ROOT, BUNDLE);
/** The Node flags of `npm start`, read from package.json so that tests and users never run different things. */
export const DIST_NODE_FLAGS = npmStartNodeFlags();

function npmStartNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const step = pkg.scripts.start
    .split('&&')
    .map((s) => s.trim().split(/\s+/))
    .find((words) => words.includes(BUNDLE));
  if (step?.[0] !== 'node') {
    throw new Error(`package.json "start" no longer runs "node … ${BUNDLE}": update test/helpers/server.ts`);
  }
  return step.slice(1, step.indexOf(BUNDLE));
}

/** Set by scripts/run-tests.mjs once it has built everything, so a test run tests one build throughout. */
export const PREBUILT_ENV = 'GMGUI_TEST_PREBUILT';
let built = process.env[PREBUILT_ENV] === '1';

/**
 * Builds what `npm start` builds (web/dist and the server bundle) when missing or stale, with the same
 * scripts, so a test file run on its own never tests a stale bundle either.
 */
export function buildLikeNpmStart(): void {
  if (built) return;
  for (const script of ['build-web-if-needed.mjs', 'build-server-if-needed.mjs']) {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', script)], { stdio: 'inherit', cwd: ROOT });
    if (r.status !== 0) throw new Error(`scripts/${script} failed (exit ${r.status})`);
  }
  built = true;
}

/** The command line that starts the shipped server: node, the flags of `npm start`, the bundle. */
export function serverCommand(): string[] {
  buildLikeNpmStart();
  return [process.execPath, ...DIST_NODE_FLAGS, DIST_CLI];
}

/** What a test needs of any running server, spawned or in-process. */
export interface ServerHandle {
  /** http://127.0.0.1:<port>, without BASE_URL. */
  url: string;
  /** Base URL including BASE_URL, e.g. http://127.0.0.1:41234/gm */
  base: string;
  port: number;
  token: string;
  dataDir: string;
  rootDir: string;
  /** JSON request with the token; returns status, parsed body (or null), raw text and headers. */
  api: Api;
}

export interface TestServer extends ServerHandle {
  proc: ChildProcess;
  output(): string;
  /** Graceful stop (SIGTERM) and wait for exit. */
  stop(): Promise<number | null>;
  /** kill -9 and wait for exit. */
  kill9(): Promise<void>;
  /** Removes the temp folders it made (after stop). */
  cleanup(): Promise<void>;
}

export interface ServerDirs {
  dataDir: string;
  rootDir: string;
}

export interface StartOptions {
  env?: Record<string, string>;
  dataDir?: string;
  rootDir?: string;
  token?: string;
  baseUrl?: string;
  /** Reuse the port of an earlier server (restart tests). */
  port?: number;
  /** Runs after the folders exist and before the server starts (seed a data dir, make folders). */
  prepare?: (dirs: ServerDirs) => Promise<void>;
  /** Start through `npm start` itself (its build steps included) instead of the bundle directly. */
  npmStart?: boolean;
}

export const newToken = (): string => `test-token-${Math.random().toString(36).slice(2)}`;

/** Temp data and root folders unless given; `owned` are the ones made here (for cleanup). */
export async function serverDirs(opts: {
  dataDir?: string;
  rootDir?: string;
}): Promise<ServerDirs & { owned: string[] }> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'gmgui-data-')));
  const rootDir = opts.rootDir ?? (await mkdtemp(join(tmpdir(), 'gmgui-root-')));
  const owned = [opts.dataDir ? null : dataDir, opts.rootDir ? null : rootDir].filter(
    (d): d is string => !!d,
  );
  return { dataDir, rootDir, owned };
}

/**
 * The settings of a test server (CONTRACT section 1). DATABASE_URL and the agents file are cleared
 * unless a test sets them, so a developer's shell cannot turn a SQLite test into a PostgreSQL one.
 */
export function serverEnv(
  dirs: ServerDirs,
  o: { token: string; port?: number; baseUrl?: string; env?: Record<string, string> },
): Record<string, string> {
  return {
    PORT: String(o.port ?? 0),
    HOST: '127.0.0.1',
    GMGUI_DATA_DIR: dirs.dataDir,
    GMGUI_ROOTS: dirs.rootDir,
    GMGUI_TOKEN: o.token,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    BASE_URL: o.baseUrl ?? '',
    DATABASE_URL: '',
    GMGUI_AGENTS_FILE: '',
    ...o.env,
  };
}

/** npm itself: the one running this test run when there is one, else the npm on PATH. */
function npmCommand(): string[] {
  const cli = process.env.npm_execpath;
  return cli?.endsWith('.js') ? [process.execPath, cli] : ['npm'];
}

export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  const dirs = await serverDirs(opts);
  const { dataDir, rootDir } = dirs;
  await opts.prepare?.(dirs);
  const token = opts.token ?? newToken();
  const env = {
    ...(process.env as Record<string, string>),
    ...serverEnv(dirs, { token, port: opts.port, baseUrl: opts.baseUrl, env: opts.env }),
  };
  const [command, ...args] = opts.npmStart ? [...npmCommand(), 'start'] : serverCommand();
  // npm start runs the server as a grandchild: its own process group, so signals reach the whole tree.
  const proc = spawn(command, args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: !!opts.npmStart,
  });
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (opts.npmStart && proc.pid) process.kill(-proc.pid, sig);
      else proc.kill(sig);
    } catch {
      // Already gone.
    }
  };
  let out = '';
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  proc.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  /** The process has exited, and under npm start the server (its grandchild) too. */
  const gone = async (): Promise<number | null> => {
    const code = await exited;
    if (!opts.npmStart || !proc.pid) return code;
    for (;;) {
      try {
        process.kill(-proc.pid, 0);
      } catch {
        return code;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const running = () => proc.exitCode === null && proc.signalCode === null;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${out}`)), 30_000);
    const onData = () => {
      const m = /gmgui is ready: open (http:\/\/[^/\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.stdout?.off('data', onData);
        resolve(m[1]);
      }
    };
    proc.stdout?.on('data', onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before it was ready:\n${out}`));
    });
  }).catch(async (e) => {
    if (running()) signal('SIGKILL');
    await rmAll(dirs.owned);
    throw e;
  });
  const base = `${url}${env.BASE_URL}`;
  return {
    url,
    base,
    port: Number(new URL(url).port),
    token,
    dataDir,
    rootDir,
    proc,
    output: () => out,
    api: fetchApi(base, token),
    stop: async () => {
      if (!running()) return proc.exitCode;
      signal('SIGTERM');
      const t = setTimeout(() => signal('SIGKILL'), 10_000);
      const code = await gone();
      clearTimeout(t);
      return code;
    },
    kill9: async () => {
      if (!running()) return;
      signal('SIGKILL');
      await gone();
    },
    cleanup: () => rmAll(dirs.owned),
  };
}

/** A new server process on an earlier one's data dir, roots and token (after it stopped or was killed). */
export function restartServer(prev: TestServer, opts: StartOptions = {}): Promise<TestServer> {
  return startServer({ ...opts, dataDir: prev.dataDir, rootDir: prev.rootDir, token: prev.token });
}

export interface ServerLauncher {
  start(opts?: StartOptions): Promise<TestServer>;
  /** restartServer(), tracked the same way. */
  restart(prev: TestServer, opts?: StartOptions): Promise<TestServer>;
}

/**
 * For servers started inside tests (restarts, a second instance): every one started through it is
 * stopped after the suite, newest first, then cleaned up.
 */
export function useServers(): ServerLauncher {
  const started: TestServer[] = [];
  const track = async (s: Promise<TestServer>) => {
    started.push(await s);
    return started[started.length - 1];
  };
  const launcher: ServerLauncher = {
    start: (opts) => track(startServer(opts)),
    restart: (prev, opts) => track(restartServer(prev, opts)),
  };
  return useResource(
    'the server launcher',
    async () => launcher,
    async () => {
      for (const s of [...started].reverse()) await s.stop();
      for (const s of started) await s.cleanup();
    },
  );
}

export async function rmAll(dirs: string[]): Promise<void> {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}

/**
 * A server process for the tests of the current file or describe(): started before them, stopped and
 * cleaned up after them. Options may be a function, evaluated when the server starts (after earlier
 * hooks, e.g. a database created by usePgDatabase()).
 */
export function useServer(opts: StartOptions | (() => StartOptions) = {}): TestServer {
  return useResource(
    'the test server',
    () => startServer(typeof opts === 'function' ? opts() : opts),
    async (s) => {
      await s.stop();
      await s.cleanup();
    },
  );
}
