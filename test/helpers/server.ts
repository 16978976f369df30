import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A real gmgui server process on an ephemeral port with its own temp data dir and roots, for tests.
// PORT=0 lets the OS pick the port; we read it back from the "ready" line the CLI prints.

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'src', 'cli.ts');
/** The bundle `npm start` runs; benchmarks use it (GMGUI_SERVER_ENTRY=dist) to measure what users run. */
export const DIST_CLI = join(ROOT, 'dist', 'server', 'cli.mjs');
/**
 * The Node flags of `npm start` (package.json): a small young generation keeps the server's resident
 * memory under 100 MB at no measurable cost in throughput (see bench/store.ts).
 */
export const DIST_NODE_FLAGS = ['--enable-source-maps', '--max-semi-space-size=2'];

export interface TestServer {
  url: string;
  /** Base URL including BASE_URL, e.g. http://127.0.0.1:41234/gm */
  base: string;
  port: number;
  token: string;
  dataDir: string;
  rootDir: string;
  proc: ChildProcess;
  output(): string;
  /** JSON request with the token; returns status, parsed body (or null), raw text and headers. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  /** Graceful stop (SIGTERM) and wait for exit. */
  stop(): Promise<number | null>;
  /** kill -9 and wait for exit. */
  kill9(): Promise<void>;
  /** Removes the temp folders (after stop). */
  cleanup(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response shapes
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface StartOptions {
  env?: Record<string, string>;
  dataDir?: string;
  rootDir?: string;
  token?: string;
  baseUrl?: string;
  /** Reuse the port of an earlier server (restart tests). */
  port?: number;
}

export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'gmgui-data-')));
  const rootDir = opts.rootDir ?? (await mkdtemp(join(tmpdir(), 'gmgui-root-')));
  const token = opts.token ?? `test-token-${Math.random().toString(36).slice(2)}`;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PORT: String(opts.port ?? 0),
    HOST: '127.0.0.1',
    GMGUI_DATA_DIR: dataDir,
    GMGUI_ROOTS: rootDir,
    GMGUI_TOKEN: token,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    BASE_URL: opts.baseUrl ?? '',
    ...opts.env,
  };
  const args = process.env.GMGUI_SERVER_ENTRY === 'dist' ? [...DIST_NODE_FLAGS, DIST_CLI] : ['--import', 'tsx', CLI];
  const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  proc.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
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
  });
  const base = `${url}${env.BASE_URL}`;
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const h: Record<string, string> = { authorization: `Bearer ${token}`, ...headers };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${base}${path}`, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: res.status, body: parsed, text, headers: res.headers } as ApiResponse;
  };
  return {
    url,
    base,
    port: Number(new URL(url).port),
    token,
    dataDir,
    rootDir,
    proc,
    output: () => out,
    api,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
    kill9: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
    cleanup: async () => {
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
      if (!opts.rootDir) await rm(rootDir, { recursive: true, force: true });
    },
  };
}
