import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { loadAgentRegistry } from './agents/registry.ts';
import { createRunner } from './agents/runner.ts';
import type { Runner } from './agents/types.ts';
import { type BuildAppOptions, buildApp } from './api/app.ts';
import type { Config } from './config.ts';
import { recoverSessions } from './commands/recovery.ts';
import { loadOrCreateToken, prepareDataDir, StartupError } from './data-dir.ts';
import { openStore } from './store/open.ts';
import type { Store } from './store/types.ts';

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  runner: Runner;
  token: string;
  /** The address it listens on, e.g. http://127.0.0.1:3000 (with BASE_URL). */
  url: string;
  stop(): Promise<void>;
}

/** How the server logs; the CLI chooses by where its output goes (src/cli/logging.ts). */
export type ServerLogging = Pick<BuildAppOptions, 'logger' | 'disableRequestLogging'>;

export async function startServer(config: Config, logging: ServerLogging = {}): Promise<RunningServer> {
  await prepareDataDir(config.dataDir);
  const token = await loadOrCreateToken(config.dataDir, config.token);
  const store = await openStore(config);
  const instanceId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  let app: FastifyInstance | null = null;
  let runner: Runner | null = null;
  let purgeTimer: NodeJS.Timeout | null = null;
  try {
    // The registry and runner log through Fastify's logger; build the app first with placeholders bound later.
    const registryHolder: { agents?: Awaited<ReturnType<typeof loadAgentRegistry>> } = {};
    const runnerHolder: { runner?: Runner } = {};
    const lazyAgents = {
      list: () => registryHolder.agents?.list() ?? [],
      get: (id: string) => registryHolder.agents?.get(id),
      has: (id: string) => registryHolder.agents?.has(id) ?? false,
      info: (id: string) => registryHolder.agents?.info(id),
    };
    // The agent operations of issue 11 (src/agents/types.ts Runner) are forwarded like the rest.
    const fromRunner = <
      K extends 'openSession' | 'authenticate' | 'probeAgents' | 'promptCapabilities' | 'agentSessions',
    >(
      k: K,
    ) =>
      ((...args: never[]) => {
        const fn = runnerHolder.runner?.[k] as ((...a: never[]) => unknown) | undefined;
        if (!fn) throw new Error('The runner is not ready.');
        return fn(...args);
      }) as NonNullable<Runner[K]>;
    const lazyRunner: Runner = {
      start: () => runnerHolder.runner?.start(),
      wake: () => runnerHolder.runner?.wake(),
      stop: async () => runnerHolder.runner?.stop(),
      openSession: fromRunner('openSession'),
      authenticate: fromRunner('authenticate'),
      probeAgents: fromRunner('probeAgents'),
      promptCapabilities: fromRunner('promptCapabilities'),
      agentSessions: fromRunner('agentSessions'),
    };
    app = await buildApp({
      ctx: { config, store, agents: lazyAgents, runner: lazyRunner },
      token,
      ...logging,
    });
    registryHolder.agents = await loadAgentRegistry(config, app.log);
    const agentRunner = createRunner({ config, store, agents: registryHolder.agents, log: app.log, instanceId });
    runner = agentRunner;
    runnerHolder.runner = runner;

    try {
      await app.listen({ port: config.port, host: config.host });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') {
        throw new StartupError(
          `Port ${config.port} on ${config.host} is already in use. Stop the other program or set PORT to a free port.`,
          4,
        );
      }
      if (code === 'EACCES') {
        throw new StartupError(`Not allowed to listen on ${config.host}:${config.port}. Use a port above 1023.`, 4);
      }
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
        throw new StartupError(`HOST=${config.host} is not an address of this machine.`, 4);
      }
      throw e;
    }
    // Turns whose agents outlived the last server under a keeper go on (docs/DESIGN.md "Process model");
    // of the others a previous process left behind: run them if the agent never got the prompt, else interrupted.
    await agentRunner.reattachKept(store.kind === 'sqlite');
    const recovered = await recoverSessions(store, {
      now: Date.now(),
      instanceId,
      othersAreDead: store.kind === 'sqlite',
    });
    if (recovered.interrupted.length || recovered.released.length) app.log.info(recovered, 'recovered sessions');
    runner.start();
    const purge = () =>
      store.purgeIdempotency(Date.now() - config.idempotencyTtlMs).catch((err) => app?.log.warn({ err }, 'purge failed'));
    void purge();
    purgeTimer = setInterval(purge, Math.min(config.idempotencyTtlMs, 10 * 60 * 1000));
    purgeTimer.unref();

    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}${config.baseUrl}`;
    let stopping: Promise<void> | null = null;
    const running: RunningServer = {
      app,
      store,
      runner,
      token,
      url,
      stop: () => {
        stopping ??= (async () => {
          if (purgeTimer) clearInterval(purgeTimer);
          // Stop taking requests and let in-flight ones finish, then stop agents, then close the store.
          await app?.close();
          await runner?.stop();
          await store.close();
        })();
        return stopping;
      },
    };
    return running;
  } catch (e) {
    if (purgeTimer) clearInterval(purgeTimer);
    await app?.close().catch(() => undefined);
    await runner?.stop().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw e;
  }
}
