import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../../src/config.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import type { ApiResponse } from '../helpers/server.ts';
import type { Srv } from './helpers.ts';

// The whole real server (store, runner, demo agent, gateway) started inside the test process, for the
// few tests that need gateway limits far below the defaults (heartbeats, stalls) without waiting minutes.
// The config fields wsPingIntervalMs / wsStallMs are read by src/api/ws/options.ts when present.

export interface InProcess extends Srv {
  running: RunningServer;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startInProcess(
  extra: Partial<Config> & { wsPingIntervalMs?: number; wsStallMs?: number },
  env: Record<string, string> = {},
): Promise<InProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gmgui-data-'));
  const rootDir = await mkdtemp(join(tmpdir(), 'gmgui-root-'));
  const token = `test-token-${Math.random().toString(36).slice(2)}`;
  const config = {
    ...loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      GMGUI_DATA_DIR: dataDir,
      GMGUI_ROOTS: rootDir,
      GMGUI_TOKEN: token,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      ...env,
    }),
    ...extra,
  };
  const running = await startServer(config);
  const base = running.url;
  const api = async (method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
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
    base,
    token,
    rootDir,
    dataDir,
    api,
    running,
    stop: async () => {
      await running.stop();
      await rm(dataDir, { recursive: true, force: true });
      await rm(rootDir, { recursive: true, force: true });
    },
  };
}
