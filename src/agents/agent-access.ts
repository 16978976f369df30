import { existsSync } from 'node:fs';
import type { Config } from '../config.ts';
import { errors } from '../domain/errors.ts';
import { AgentHost } from './acp-host.ts';
import { parseAuthMethods, promptCapabilitiesOf } from './auth-methods.ts';
import { AgentFault } from './faults.ts';
import type { HostPool } from './host-pool.ts';
import type { AgentLog } from './log.ts';
import type { AgentRegistry, AgentSpec, PromptCapabilities } from './types.ts';

// What gmgui learns of an agent itself rather than of a conversation (CONTRACT section 11): what it
// takes in a prompt, whether it needs signing in, and signing it in. Each starts a short-lived agent
// process of its own in the first root (not one of the pool's conversation processes, and not counted
// in GMGUI_MAX_AGENTS): `initialize`, then, to find out about signing in, `session/new` (an
// auth_required refusal means it needs it), or ACP `authenticate`. Results are kept in the registry
// (GET /api/agents). Real agents keep their credentials on disk, so one sign-in serves every process;
// idle processes that have no session open yet are stopped after it, so the next turn starts afresh.

/** A probe that takes longer than this is given up (its agent's state stays unknown). */
const PROBE_MS = 20_000;
/** Signing in may wait for a person in a browser. */
const AUTH_PATIENCE_MS = 5 * 60_000;

export interface AccessDeps {
  config: Config;
  agents: AgentRegistry;
  /** The server's conversation processes; absent where there are none (`gmgui doctor --probe`). */
  pool?: HostPool;
  log: AgentLog;
}

export class AgentAccess {
  private readonly probes = new Map<string, Promise<void>>();

  constructor(private readonly d: AccessDeps) {}

  /** What the agent takes in a prompt; it is started once to ask when nobody has started it yet. */
  async promptCapabilities(agentId: string): Promise<PromptCapabilities> {
    if (this.d.agents.info?.(agentId)?.capabilities === undefined) await this.probe(agentId, false);
    return promptCapabilitiesOf(this.d.agents.info?.(agentId)?.capabilities);
  }

  /** Finds out whether the available agents whose state is unknown need signing in. */
  async probeAll(): Promise<void> {
    const unknown = (this.d.agents.list() ?? []).filter((a) => a.available && a.needsSignIn === null);
    await Promise.all(unknown.map((a) => this.probe(a.id, true)));
  }

  /** ACP authenticate with `methodId`; throws the AppError a client gets. */
  async authenticate(agentId: string, methodId: string): Promise<void> {
    const spec = this.specOf(agentId);
    await this.withHost(spec, AUTH_PATIENCE_MS + PROBE_MS, async (host) => {
      const methods = parseAuthMethods(host.init?.authMethods, spec);
      const method = methods.find((m) => m.id === methodId);
      if (!method)
        throw errors.unknownAuthMethod(
          methodId,
          methods.map((m) => m.id),
        );
      if (method.terminal) throw errors.terminalSignIn(method.terminal.commandLine);
      try {
        await host.authenticate(methodId, AUTH_PATIENCE_MS);
      } catch (err) {
        if (!(err instanceof AgentFault)) throw err;
        throw err.agentMessage !== undefined
          ? errors.authFailed(spec.name, err.agentMessage)
          : errors.agentFailed(err.message);
      }
      this.d.agents.noteSignIn?.(agentId, false);
      this.d.pool?.discardUnopened(agentId);
    });
  }

  private specOf(agentId: string): AgentSpec {
    const spec = this.d.agents.get(agentId);
    if (!spec) throw errors.notFound(`The agent "${agentId}"`);
    return spec;
  }

  /** Starts the agent (and with `session`, opens a session) to learn about it; once at a time per agent. */
  private probe(agentId: string, session: boolean): Promise<void> {
    const running = this.probes.get(agentId);
    if (running) return running;
    const p = (async () => {
      const spec = this.d.agents.get(agentId);
      if (!spec) return;
      await this.withHost(spec, PROBE_MS, async (host) => {
        if (!session) return;
        try {
          await host.openSession(null);
          this.d.agents.noteSignIn?.(agentId, false);
        } catch (err) {
          if (err instanceof AgentFault && err.kind === 'auth_required')
            this.d.agents.noteSignIn?.(agentId, true);
          else throw err;
        }
      }).catch((err) => this.d.log.info({ agent: agentId, err: String(err) }, 'agent probe failed'));
    })().finally(() => this.probes.delete(agentId));
    this.probes.set(agentId, p);
    return p;
  }

  /** A process of the agent, initialized, for `fn`; stopped afterwards, whatever happens. */
  private async withHost<T>(
    spec: AgentSpec,
    limitMs: number,
    fn: (host: AgentHost) => Promise<T>,
  ): Promise<T> {
    const cwd = this.d.config.roots.find((r) => existsSync(r)) ?? process.cwd();
    const host = new AgentHost({
      spec,
      conversationId: `agent:${spec.id}`,
      cwd,
      roots: this.d.config.roots,
      log: this.d.log,
      silenceMs: this.d.config.agentSilenceMs,
      maxMessageBytes: this.d.config.agentMaxMessageBytes,
      onIdleUpdate: () => {},
    });
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(errors.agentFailed(`The agent "${spec.name}" did not answer within ${limitMs / 1000} s.`)),
        limitMs,
      );
    });
    try {
      return await Promise.race([
        (async () => {
          try {
            const init = await host.start();
            this.d.agents.noteInitialized?.(spec.id, init);
          } catch (err) {
            throw err instanceof AgentFault ? errors.agentFailed(err.message) : err;
          }
          return fn(host);
        })(),
        limit,
      ]);
    } finally {
      clearTimeout(timer);
      await host.stop().catch(() => undefined);
    }
  }
}
