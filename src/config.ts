import { isIP } from 'node:net';
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
  /** GMGUI_MCP_FILE: MCP servers handed to every agent's sessions (src/agents/mcp-servers.ts). */
  mcpFile: string | null;
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
  /** Recent events kept per conversation (and for /sync) for every live subscriber to share; 0: none. */
  wsRingEvents: number;
  /** At most this many agent processes run at once; idle ones are stopped to make room. */
  maxAgents: number;
  /** README "Limits": writes and wrong tokens per minute per client (0: unlimited), pending turns per conversation. */
  rateLimitWrites: number;
  rateLimitLogins: number;
  maxPending: number;
  /** Peers (addresses, CIDR ranges, `loopback`) whose X-Forwarded-For/-Proto are believed. */
  trustProxy: string[];
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  /** The byte cap of one page of a session's events (GET /api/sessions/{id}). */
  pageBytes: number;
  /** Web Push (src/push): a finished turn is pushed only when it ran at least this long. */
  pushMinTurnMs: number;
  /** Web Push: the VAPID `sub` claim, a mailto: or https: contact for push services. */
  pushSubject: string;
  logLevel: string;
}

export class ConfigError extends Error {}

/** Settings of gmgui itself (and of the database connection) that are not GMGUI_-prefixed. */
const SERVER_SETTINGS = new Set(['LOG_FORMAT', 'PORT', 'HOST', 'BASE_URL', 'DATABASE_URL', 'LOG_LEVEL', 'INIT_CWD']);
/** What node-postgres reads besides DATABASE_URL: a password may come this way. */
const PG_SETTINGS = new Set(['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PGPASSFILE']);

/**
 * True for an environment variable that belongs to gmgui rather than to the agents it starts: its
 * settings and secrets, the database's, and what `npm start` adds about gmgui's own package
 * (npm_*, INIT_CWD). Agents do not get these unless their entry asks (`passEnv`, README).
 */
export function isServerSetting(name: string): boolean {
  return (
    name.startsWith('GMGUI_') || name.startsWith('npm_') || SERVER_SETTINGS.has(name) || PG_SETTINGS.has(name)
  );
}

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

/** GMGUI_TRUST_PROXY: comma-separated addresses, CIDR ranges and `loopback`; anything else is a bad setting. */
function proxies(raw: string | undefined): string[] {
  const entries = list(raw, ',');
  for (const e of entries) {
    const [ip, bits, extra] = e.split('/');
    const family = isIP(ip);
    const max = family === 4 ? 32 : 128;
    const ok =
      e.toLowerCase() === 'loopback' ||
      (family !== 0 && extra === undefined && (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max)));
    if (!ok) throw new ConfigError(`GMGUI_TRUST_PROXY: "${e}" is not an address, a CIDR range or "loopback".`);
  }
  return entries;
}

/** GMGUI_PUSH_SUBJECT: push services require a mailto: or https: contact in every VAPID token. */
function pushSubject(raw: string | undefined): string {
  const s = raw?.trim() || 'mailto:gmgui@example.com';
  if (!/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/.test(s))
    throw new ConfigError(`GMGUI_PUSH_SUBJECT must be a mailto: address or an https: URL, got "${s}".`);
  return s;
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
    mcpFile: env.GMGUI_MCP_FILE?.trim() || null,
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
    wsRingEvents: int(env, 'GMGUI_WS_RING_EVENTS', 1024, 0),
    maxAgents: int(env, 'GMGUI_MAX_AGENTS', 6, 1),
    rateLimitWrites: int(env, 'GMGUI_RATE_LIMIT_WRITES', 1000),
    rateLimitLogins: int(env, 'GMGUI_RATE_LIMIT_LOGINS', 30),
    maxPending: int(env, 'GMGUI_MAX_PENDING', 1000),
    trustProxy: proxies(env.GMGUI_TRUST_PROXY),
    headersTimeoutMs: int(env, 'GMGUI_HEADERS_TIMEOUT_MS', 10_000, 100),
    requestTimeoutMs: Math.max(
      int(env, 'GMGUI_REQUEST_TIMEOUT_MS', 60_000, 100),
      int(env, 'GMGUI_HEADERS_TIMEOUT_MS', 10_000, 100),
    ),
    idleTimeoutMs: int(env, 'GMGUI_IDLE_TIMEOUT_MS', 120_000, 100),
    pageBytes: int(env, 'GMGUI_PAGE_BYTES', MIB, 64 * 1024),
    pushMinTurnMs: int(env, 'GMGUI_PUSH_MIN_TURN_MS', 30_000),
    pushSubject: pushSubject(env.GMGUI_PUSH_SUBJECT),
    logLevel: env.LOG_LEVEL?.trim() || 'info',
  };
}
