import type { InjectOptions } from 'fastify';
import { loadConfig } from '../../src/config.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { type Api, apiRequest, parseJson } from './http.ts';
import { newToken, rmAll, type ServerHandle, type StartOptions, serverDirs, serverEnv } from './server.ts';
import { useResource } from './use.ts';

// The whole real server (store in a temp data dir, runner, agents, gateway) started inside the test
// process through the same startServer() the CLI calls, for tests of what the API answers to input:
// `api` goes through Fastify's inject() (no socket, no process start), while the server also listens
// on an ephemeral port for the few checks that need real sockets (raw HTTP, WebSockets).
// Crash, restart and end-to-end tests spawn the shipped bundle instead (test/helpers/server.ts).

export interface InProcessServer extends ServerHandle {
  running: RunningServer;
  /** Stops the server and removes the folders it made. */
  stop(): Promise<void>;
}

export type InProcessOptions = Pick<StartOptions, 'env' | 'rootDir' | 'baseUrl' | 'prepare'>;

export async function startInProcess(opts: InProcessOptions = {}): Promise<InProcessServer> {
  const dirs = await serverDirs({ rootDir: opts.rootDir });
  await opts.prepare?.(dirs);
  const token = newToken();
  // Its logs go to this process's output: errors only, unless TEST_LOG_LEVEL says otherwise.
  const env = { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error', ...opts.env };
  const config = loadConfig(serverEnv(dirs, { token, baseUrl: opts.baseUrl, env }));
  let running: RunningServer;
  try {
    running = await startServer(config);
  } catch (e) {
    await rmAll(dirs.owned);
    throw e;
  }
  const port = Number(new URL(running.url).port);
  const api: Api = async (method, path, body, headers = {}) => {
    const req = apiRequest(token, body, headers);
    const res = await running.app.inject({
      method: method as InjectOptions['method'],
      url: `${config.baseUrl}${path}`,
      headers: req.headers,
      payload: req.payload,
    });
    const h = new Headers();
    for (const [k, v] of Object.entries(res.headers))
      for (const x of [v].flat()) if (x !== undefined) h.append(k, String(x));
    return { status: res.statusCode, body: parseJson(res.body), text: res.body, headers: h };
  };
  return {
    url: `http://127.0.0.1:${port}`,
    base: running.url,
    port,
    token,
    dataDir: dirs.dataDir,
    rootDir: dirs.rootDir,
    api,
    running,
    stop: async () => {
      await running.stop();
      await rmAll(dirs.owned);
    },
  };
}

/** An in-process server for the tests of the current file or describe(), like useServer(). */
export function useInProcess(opts: InProcessOptions | (() => InProcessOptions) = {}): InProcessServer {
  return useResource(
    'the in-process server',
    () => startInProcess(typeof opts === 'function' ? opts() : opts),
    (s) => s.stop(),
  );
}
