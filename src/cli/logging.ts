import type { FastifyServerOptions } from 'fastify';
import { loggerOptions } from '../api/app.ts';
import { ConfigError } from '../config.ts';

// How the server logs (README "Settings": LOG_FORMAT, LOG_LEVEL). A person at a terminal gets readable
// lines (pino-pretty) without a line per HTTP request; anything else (systemd's journal, Docker, a file,
// a log shipper) gets one JSON object per line, requests included.

export type LogFormat = 'pretty' | 'json';

export interface LoggingSetup {
  format: LogFormat;
  logger: FastifyServerOptions['logger'];
  disableRequestLogging: boolean;
}

/** LOG_FORMAT when set, else pretty on a terminal and JSON otherwise. */
export function logFormat(env: NodeJS.ProcessEnv, isTTY: boolean): LogFormat {
  const raw = env.LOG_FORMAT?.trim().toLowerCase();
  if (!raw) return isTTY ? 'pretty' : 'json';
  if (raw === 'pretty' || raw === 'json') return raw;
  throw new ConfigError(`LOG_FORMAT must be "pretty" or "json", got "${env.LOG_FORMAT}".`);
}

export async function loggingSetup(format: LogFormat, level: string, colors: boolean): Promise<LoggingSetup> {
  const base = loggerOptions(level);
  if (format === 'json' || typeof base !== 'object' || base === null) {
    return { format, logger: base, disableRequestLogging: false };
  }
  // Loaded only for a terminal. Synchronous: lines keep their order with the "ready" line and none is
  // lost when the process exits.
  const { default: pretty } = await import('pino-pretty');
  const stream = pretty({
    colorize: colors,
    sync: true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname',
  });
  return {
    format,
    logger: { ...base, stream },
    // Requests are logged at info; a person sees them by asking for debug.
    disableRequestLogging: !['debug', 'trace'].includes(level),
  };
}
