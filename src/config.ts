import { homedir } from 'node:os';
import { resolve } from 'node:path';

// Every setting, read once from the environment (CONTRACT section 1), typed. Nothing else reads process.env.

export interface Config {
  port: number;
  host: string;
  /** Path prefix for everything, '' or '/something' without a trailing slash. */
  baseUrl: string;
  dataDir: string;
  /** Set when GMGUI_TOKEN is given; otherwise the token file in dataDir is used (created on first start). */
  token: string | null;
  roots: string[];
  agentsFile: string | null;
  databaseUrl: string | null;
  allowedOrigins: string[];
  bodyLimit: number;
  idempotencyTtlMs: number;
  /** How long a runner's claim on a session lasts without renewal. */
  leaseMs: number;
  /** An agent silent for this long during a turn is considered hung. */
  agentSilenceMs: number;
  /** How long an idle agent process is kept for the next message. */
  agentIdleMs: number;
  /** How long an agent gets to stop after session/cancel before it is killed. */
  cancelGraceMs: number;
  /** One ACP message from an agent larger than this is a flood: the agent is stopped. */
  agentMaxMessageBytes: number;
  /** More output than this from an agent in one turn is a flood: the agent is stopped. */
  agentMaxTurnOutputBytes: number;
  /** WebSocket heartbeat: a socket that neither answers a ping nor takes data for this long is dropped. */
  wsPingIntervalMs: number;
  /** A WebSocket client that makes no progress for this long while behind is told to reconnect. */
  wsStallMs: number;
  logLevel: string;
}

export class ConfigError extends Error {}

const MIB = 1024 * 1024;

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be a whole number ≥ ${min}, got "${raw}".`);
  return n;
}

function list(raw: string | undefined, sep: string): string[] {
  return (raw ?? '')
    .split(sep)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function normalizeBaseUrl(raw: string | undefined): string {
  const trimmed = (raw ?? '').trim().replace(/\/+$/, '');
  if (!trimmed) return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const home = homedir();
  const roots = list(env.GMGUI_ROOTS, ':').map((r) => resolve(r));
  return {
    port: int(env, 'PORT', 3000),
    host: env.HOST?.trim() || '127.0.0.1',
    baseUrl: normalizeBaseUrl(env.BASE_URL),
    dataDir: resolve(env.GMGUI_DATA_DIR?.trim() || `${home}/.gmgui`),
    token: env.GMGUI_TOKEN?.trim() || null,
    roots: roots.length ? roots : [home],
    agentsFile: env.GMGUI_AGENTS_FILE?.trim() || null,
    databaseUrl: env.DATABASE_URL?.trim() || null,
    allowedOrigins: list(env.GMGUI_ALLOWED_ORIGINS, ','),
    bodyLimit: int(env, 'GMGUI_BODY_LIMIT', 5 * 1024 * 1024, 1024),
    idempotencyTtlMs: int(env, 'GMGUI_IDEMPOTENCY_TTL_MS', 24 * 60 * 60 * 1000, 1000),
    leaseMs: int(env, 'GMGUI_LEASE_MS', 15_000, 500),
    agentSilenceMs: int(env, 'GMGUI_AGENT_SILENCE_MS', 10 * 60 * 1000, 100),
    agentIdleMs: int(env, 'GMGUI_AGENT_IDLE_MS', 10 * 60 * 1000, 100),
    cancelGraceMs: int(env, 'GMGUI_CANCEL_GRACE_MS', 5_000, 50),
    // Minimums leave room for the largest ordinary messages (a file read, a long tool result).
    agentMaxMessageBytes: int(env, 'GMGUI_AGENT_MAX_MESSAGE_BYTES', 8 * MIB, 64 * 1024),
    agentMaxTurnOutputBytes: int(env, 'GMGUI_AGENT_MAX_TURN_BYTES', 64 * MIB, 64 * 1024),
    wsPingIntervalMs: int(env, 'GMGUI_WS_PING_MS', 15_000, 100),
    wsStallMs: int(env, 'GMGUI_WS_STALL_MS', 30_000, 100),
    logLevel: env.LOG_LEVEL?.trim() || 'info',
  };
}
