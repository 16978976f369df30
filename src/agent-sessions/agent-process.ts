import type * as acp from '@agentclientprotocol/sdk';
import type { Config } from '../config.ts';
import { errors } from '../domain/errors.ts';
import { AgentHost } from '../agents/acp-host.ts';
import { AgentFault } from '../agents/faults.ts';
import type { AgentLog } from '../agents/log.ts';
import { acpMcpServers } from '../agents/mcp-servers.ts';
import type { AgentRegistry, AgentSpec } from '../agents/types.ts';

// A process of an agent started only to ask it about its own sessions (list, load for an import,
// fork, delete), in the folder the request names, and stopped right after: not one of the pool's
// conversation processes (src/agents/host-pool.ts), so it never holds a conversation's turn. At most
// MAX_AT_ONCE run at a time, so a burst of requests cannot start a crowd of agents.

const MAX_AT_ONCE = 4;
let running = 0;
const waiting: Array<() => void> = [];

async function slot(): Promise<() => void> {
  while (running >= MAX_AT_ONCE) await new Promise<void>((r) => waiting.push(r));
  running++;
  return () => {
    running--;
    waiting.shift()?.();
  };
}

/** What the agent says it can do with its sessions (ACP `agentCapabilities`, read raw: `fork` is unstable). */
export interface SessionAbilities {
  list: boolean;
  load: boolean;
  resume: boolean;
  fork: boolean;
  delete: boolean;
}

export function abilitiesOf(caps: unknown): SessionAbilities {
  const c = (caps ?? {}) as { loadSession?: unknown; sessionCapabilities?: Record<string, unknown> | null };
  const s = c.sessionCapabilities ?? {};
  const has = (k: string) => s[k] !== undefined && s[k] !== null && s[k] !== false;
  return {
    list: has('list'),
    load: c.loadSession === true,
    resume: has('resume'),
    fork: has('fork'),
    delete: has('delete'),
  };
}

export interface SessionHost {
  host: AgentHost;
  abilities: SessionAbilities;
  /** The MCP servers its sessions get (load, resume and fork take them like session/new). */
  mcpServers: acp.McpServer[];
}

/**
 * Runs `fn` with an initialized process of `spec` in `cwd`; `onUpdate` gets every session/update it
 * sends meanwhile. Agent faults become the AppErrors a client gets (502 agent_failed, 409
 * auth_required). The process is stopped afterwards, whatever happens.
 */
export async function withSessionHost<T>(
  d: { config: Config; log: AgentLog; agents: AgentRegistry },
  spec: AgentSpec,
  cwd: string,
  limitMs: number,
  fn: (h: SessionHost) => Promise<T>,
  onUpdate: (update: unknown) => void = () => {},
): Promise<T> {
  const release = await slot();
  const host = new AgentHost({
    spec,
    conversationId: `agent-sessions:${spec.id}`,
    cwd,
    roots: d.config.roots,
    log: d.log,
    silenceMs: d.config.agentSilenceMs,
    maxMessageBytes: d.config.agentMaxMessageBytes,
    onIdleUpdate: onUpdate,
  });
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(errors.agentFailed(`The agent "${spec.name}" did not answer within ${limitMs / 1000} s.`)),
      limitMs,
    );
  });
  try {
    return await Promise.race([
      (async () => {
        const init = await host.start();
        // What it said about itself is the registry's too (GET /api/agents, and the next request's shortcut).
        d.agents.noteInitialized?.(spec.id, init);
        const caps = init.agentCapabilities;
        return fn({
          host,
          abilities: abilitiesOf(caps),
          mcpServers: acpMcpServers(spec.mcpServers ?? [], caps?.mcpCapabilities),
        });
      })(),
      limit,
    ]);
  } catch (err) {
    if (!(err instanceof AgentFault)) throw err;
    if (err.kind === 'auth_required') throw errors.authRequired(spec.name);
    throw errors.agentFailed(err.message);
  } finally {
    clearTimeout(timer);
    await host.stop().catch(() => undefined);
    release();
  }
}

/** True when `err` is the agent refusing a request (it answered with an error), not a broken agent. */
export function isRefusal(err: unknown): err is AgentFault {
  return err instanceof AgentFault && err.kind === 'agent_error';
}
