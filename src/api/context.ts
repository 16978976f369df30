import type { FastifyBaseLogger } from 'fastify';
import type { AgentRegistry, Runner } from '../agents/types.ts';
import type { Config } from '../config.ts';
import type { Store } from '../store/types.ts';

/** What every route plugin may use; decorated on the Fastify instance as `ctx`. */
export interface AppContext {
  config: Config;
  store: Store;
  agents: AgentRegistry;
  runner: Runner;
  log: FastifyBaseLogger;
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
  }
}
