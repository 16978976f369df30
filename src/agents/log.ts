// The slice of a pino/Fastify logger the agents area uses, so tests and the bench can pass any logger.
export interface AgentLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLog: AgentLog = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
