import { AgentSessions } from '../agent-sessions/agent-sessions.ts';
import { ImageStore } from '../attachments/image-store.ts';
import { recoverSessions } from '../commands/recovery.ts';
import { type Claimed, LeaseLost, claimNextSession, renewLease } from '../commands/runner.ts';
import type { Config } from '../config.ts';
import { type AppEvent, parseEvent } from '../domain/events.ts';
import type { StoredEvent } from '../domain/types.ts';
import type { Store } from '../store/types.ts';
import { AgentAccess } from './agent-access.ts';
import { HostPool } from './host-pool.ts';
import { reattachKept } from './keeper/reattach.ts';
import { keeperSettings } from './keeper/settings.ts';
import type { AgentLog } from './log.ts';
import { sessionOpener } from './session-opener.ts';
import { Turn } from './turn.ts';
import type { AgentRegistry, AgentSpec, Runner } from './types.ts';

// The runner (DESIGN.md point 3) is just another writer: it claims pending sessions with a lease,
// drives their agents and writes their output, and learns everything else (new sessions, cancel
// requests, permission answers, mode choices) by reading the lifecycle events of the log after a
// cursor. So it works the same whether the HTTP request that caused it hit this process or another
// instance. It also opens a conversation's agent session before its first message when asked
// (session-opener.ts), and starts agents to learn about them or sign them in (agent-access.ts).

export interface RunnerLimits {
  /** A single ACP message larger than this is a flood. */
  maxMessageBytes: number;
  /** More output than this in one turn is a flood. */
  maxTurnOutputBytes: number;
  /** Turns run at once by this runner (each in its own conversation). */
  maxConcurrent: number;
  /** How long agent output may wait before it is committed. */
  flushMs: number;
  /** Safety-net poll for work, in case a wake-up was missed. */
  pollMs: number;
}

/** maxMessageBytes and maxTurnOutputBytes come from the Config; these values are for callers without one. */
export const DEFAULT_LIMITS: RunnerLimits = {
  maxMessageBytes: 8 * 1024 * 1024,
  maxTurnOutputBytes: 64 * 1024 * 1024,
  maxConcurrent: 16,
  flushMs: 5,
  pollMs: 1000,
};

export interface RunnerOptions {
  config: Config;
  store: Store;
  agents: AgentRegistry;
  log: AgentLog;
  instanceId: string;
  limits?: Partial<RunnerLimits>;
}

export interface AgentRunner extends Runner {
  /** Agent processes currently running (tests, bench, diagnostics). */
  readonly agentProcesses: number;
  agentPid(conversationId: string): number | undefined;
  /** Before start-up recovery: takes back the turns whose kept agents outlived the last server (keeper/). */
  reattachKept(othersAreDead: boolean): Promise<void>;
}

export function createRunner(o: RunnerOptions): AgentRunner {
  const { config, store, log, agents } = o;
  // The flood limits are settings (GMGUI_AGENT_MAX_MESSAGE_BYTES, GMGUI_AGENT_MAX_TURN_BYTES).
  const limits: RunnerLimits = {
    ...DEFAULT_LIMITS,
    maxMessageBytes: config.agentMaxMessageBytes,
    maxTurnOutputBytes: config.agentMaxTurnOutputBytes,
    // One process per running turn: past GMGUI_MAX_AGENTS, turns stay `pending` (host-pool.ts).
    maxConcurrent: Math.min(DEFAULT_LIMITS.maxConcurrent, config.maxAgents),
    ...o.limits,
  };
  const owner = o.instanceId;
  const turns = new Map<string, Turn>();
  const running = new Set<Promise<void>>();
  const busyConversations = new Set<string>();
  const keepers = keeperSettings(config);
  let reattached: Claimed[] = [];
  const pool = new HostPool({
    keepers,
    store,
    log,
    roots: config.roots,
    idleMs: config.agentIdleMs,
    silenceMs: config.agentSilenceMs,
    maxMessageBytes: limits.maxMessageBytes,
    maxAgents: config.maxAgents,
    onInitialized: (spec, host) => {
      if (host.init) agents.noteInitialized?.(spec.id, host.init);
    },
  });

  const images = new ImageStore(config.dataDir);
  const access = new AgentAccess({ config, agents, pool, log });
  const agentSessions = new AgentSessions({ config, store, agents, log });
  const noteSignIn = (id: string, needs: boolean) => agents.noteSignIn?.(id, needs);

  let started = false;
  let stopped = false;
  let cursor = 0;
  let unsubscribe: (() => void) | null = null;
  const timers: NodeJS.Timeout[] = [];

  // --- claiming work ---

  /**
   * `body` as a loop that runs one at a time: a call while it runs makes it run once more afterwards
   * (calls in between collapse into one), so no wake-up is lost and none piles up.
   */
  function coalesced(what: string, body: () => Promise<void>): () => Promise<void> {
    let active = false;
    let again = false;
    return async () => {
      if (active) {
        again = true;
        return;
      }
      active = true;
      try {
        do {
          again = false;
          await body();
        } while (again && !stopped);
      } catch (err) {
        log.warn({ err: String(err) }, `could not ${what}; will retry`);
      } finally {
        active = false;
      }
    };
  }

  const claimLoop = coalesced('claim sessions', async () => {
    while (!stopped && turns.size < limits.maxConcurrent) {
      const claimed = await store.transaction((tx) =>
        claimNextSession(tx, { owner, leaseMs: config.leaseMs, skipConversations: busyConversations }),
      );
      // Stopped while claiming: start nothing (no agent after stop(), no write after the store closed);
      // the claim lapses like a crashed instance's and recovery or another instance takes it.
      if (!claimed || stopped) break;
      startTurn(claimed);
    }
  });

  function startTurn(claimed: Claimed): void {
    const turn = new Turn(
      {
        store,
        log,
        owner,
        cancelGraceMs: config.cancelGraceMs,
        flushMs: limits.flushMs,
        maxTurnOutputBytes: limits.maxTurnOutputBytes,
        resolveAgent: (id) => agents.get(id),
        acquireHost: (c: Claimed, spec: AgentSpec) =>
          pool.acquire(c.conversation.id, c.conversation.cwd, spec),
        releaseHost: (host, healthy) => pool.release(host, healthy),
        images,
        roots: config.roots,
        dataDir: config.dataDir,
        onSignIn: noteSignIn,
      },
      claimed,
    );
    turns.set(turn.sessionId, turn);
    busyConversations.add(turn.conversationId);
    const p = turn.run().finally(() => {
      turns.delete(turn.sessionId);
      busyConversations.delete(turn.conversationId);
      running.delete(p);
      // The conversation's next queued message may start now.
      if (!stopped) void claimLoop();
    });
    running.add(p);
  }

  // --- following the log ---

  const tail = coalesced('read the event log', async () => {
    for (;;) {
      const page = await store.readEvents({ after: cursor, lifecycleOnly: true, limit: 500 });
      for (const e of page) {
        cursor = e.seq;
        onLifecycle(e);
      }
      if (page.length < 500) return;
    }
  });

  function onLifecycle(row: StoredEvent): void {
    const r = parseEvent(row);
    if (!r.ok) {
      log.warn({ reason: r.reason }, 'lifecycle event ignored');
      return;
    }
    const e: AppEvent = r.event;
    const turn = e.sessionId ? turns.get(e.sessionId) : undefined;
    switch (e.type) {
      case 'session_created':
        void claimLoop();
        return;
      case 'session_updated':
        if (e.cancelRequested) turn?.onCancelRequested();
        // A session that ended elsewhere (e.g. cancelled while queued) may unblock its conversation.
        if (e.status !== 'processing') void claimLoop();
        return;
      case 'permission_resolved':
        turn?.onPermissionResolved(e.requestId, e.optionId);
        return;
      case 'conversation_updated':
        // A user chose an agent mode or config value: the conversation's agent, if it runs here,
        // switches now (src/commands/agent-settings.ts).
        if (e.modeRequested !== undefined) pool.applyMode(e.conversationId, e.modeRequested);
        if (e.configRequested)
          pool.applyConfig(e.conversationId, e.configRequested.configId, e.configRequested.value);
        return;
      case 'conversation_deleted':
        for (const t of turns.values())
          if (t.conversationId === e.conversationId) t.abandon('conversation deleted');
        pool.discardConversation(e.conversationId);
        return;
      default:
        return;
    }
  }

  // --- leases ---

  async function renewAll(): Promise<void> {
    for (const turn of [...turns.values()]) {
      try {
        await store.transaction((tx) =>
          renewLease(tx, { sessionId: turn.sessionId, owner, leaseMs: config.leaseMs }),
        );
      } catch (err) {
        if (err instanceof LeaseLost) turn.abandon(err);
        else log.warn({ sessionId: turn.sessionId, err: String(err) }, 'lease renewal failed; will retry');
      }
    }
  }

  /** Turns whose runner died elsewhere (lease expired): resolved as at start-up. */
  async function recoverExpired(): Promise<void> {
    try {
      const r = await recoverSessions(store, { now: Date.now(), instanceId: owner, othersAreDead: false });
      if (r.released.length || r.interrupted.length) {
        log.info(r, 'recovered sessions of a dead runner');
        void claimLoop();
      }
    } catch (err) {
      log.warn({ err: String(err) }, 'lease check failed; will retry');
    }
  }

  function every(ms: number, fn: () => Promise<void>): void {
    const t = setInterval(() => {
      if (!stopped) void fn();
    }, ms);
    t.unref();
    timers.push(t);
  }

  const openSession = sessionOpener({
    store,
    agents,
    pool,
    log,
    busy: busyConversations,
    released: () => {
      if (!stopped) void claimLoop();
    },
  });

  return {
    openSession: (conversationId) => openSession(conversationId),
    authenticate: (agentId, methodId) => access.authenticate(agentId, methodId),
    probeAgents: () => access.probeAll(),
    promptCapabilities: (agentId) => access.promptCapabilities(agentId),
    agentSessions: () => agentSessions,

    get agentProcesses() {
      return pool.size;
    },
    agentPid: (conversationId) => pool.pidOf(conversationId),

    async reattachKept(othersAreDead) {
      if (keepers) reattached = await reattachKept(store, keepers, { owner, leaseMs: config.leaseMs, othersAreDead });
      if (reattached.length) log.info({ sessions: reattached.map((c) => c.session.id) }, 'reattached kept turns');
    },

    start() {
      if (started) return;
      started = true;
      void (async () => {
        try {
          cursor = await store.lastSeq();
        } catch (err) {
          log.warn({ err: String(err) }, 'could not read the log position');
        }
        unsubscribe = store.onAppend(() => {
          if (!stopped) void tail();
        });
        every(limits.pollMs, async () => {
          await tail();
          await claimLoop();
        });
        every(Math.max(100, Math.floor(config.leaseMs / 3)), renewAll);
        // A quarter lease: a dead instance's turn is marked interrupted within about one lease time.
        every(Math.max(100, Math.floor(config.leaseMs / 4)), recoverExpired);
        for (const c of reattached.splice(0)) startTurn(c);
        await claimLoop();
      })();
    },

    wake() {
      if (started && !stopped) void claimLoop();
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearInterval(t);
      unsubscribe?.();
      if (keepers) {
        // Kept agents go on without us: their turns stay `processing` for the next server (keeper/).
        pool.detachAll();
        for (const t of turns.values()) t.abandon('the server is stopping; the agent is kept');
      }
      for (const t of turns.values()) t.shutdown();
      await pool.stopAll();
      await Promise.all([...running]);
      await pool.stopAll();
    },
  };
}
