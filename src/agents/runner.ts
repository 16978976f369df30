import { recoverSessions } from '../commands/recovery.ts';
import { CONFIG_REQUESTED } from '../commands/runner-config.ts';
import { MODE_REQUESTED } from '../commands/runner-mode.ts';
import { type Claimed, LeaseLost, claimNextSession, renewLease } from '../commands/runner.ts';
import type { Config } from '../config.ts';
import type { StoredEvent } from '../domain/types.ts';
import type { Store } from '../store/types.ts';
import { HostPool } from './host-pool.ts';
import type { AgentLog } from './log.ts';
import { Turn } from './turn.ts';
import type { AgentRegistry, AgentSpec, Runner } from './types.ts';

// The runner (DESIGN.md point 3) is just another writer: it claims pending sessions with a lease,
// drives their agents and writes their output, and learns everything else (new sessions, cancel
// requests, permission answers, mode choices) by reading the lifecycle events of the log after a
// cursor. So it works the same whether the HTTP request that caused it hit this process or another
// instance.

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
}

export function createRunner(o: RunnerOptions): AgentRunner {
  const { config, store, log, agents } = o;
  // The flood limits are settings (GMGUI_AGENT_MAX_MESSAGE_BYTES, GMGUI_AGENT_MAX_TURN_BYTES).
  const limits: RunnerLimits = {
    ...DEFAULT_LIMITS,
    maxMessageBytes: config.agentMaxMessageBytes,
    maxTurnOutputBytes: config.agentMaxTurnOutputBytes,
    ...o.limits,
  };
  const owner = o.instanceId;
  const turns = new Map<string, Turn>();
  const running = new Set<Promise<void>>();
  const busyConversations = new Set<string>();
  const pool = new HostPool({
    store,
    log,
    roots: config.roots,
    idleMs: config.agentIdleMs,
    silenceMs: config.agentSilenceMs,
    maxMessageBytes: limits.maxMessageBytes,
    onInitialized: (spec, host) => {
      if (host.init) agents.noteInitialized?.(spec.id, host.init);
    },
  });

  let started = false;
  let stopped = false;
  let cursor = 0;
  let unsubscribe: (() => void) | null = null;
  const timers: NodeJS.Timeout[] = [];

  // --- claiming work ---

  let claiming = false;
  let claimAgain = false;
  async function claimLoop(): Promise<void> {
    if (claiming) {
      claimAgain = true;
      return;
    }
    claiming = true;
    try {
      do {
        claimAgain = false;
        while (!stopped && turns.size < limits.maxConcurrent) {
          const claimed = await store.transaction((tx) =>
            claimNextSession(tx, { owner, leaseMs: config.leaseMs, skipConversations: busyConversations }),
          );
          if (!claimed) break;
          startTurn(claimed);
        }
      } while (claimAgain && !stopped);
    } catch (err) {
      log.warn({ err: String(err) }, 'could not claim sessions; will retry');
    } finally {
      claiming = false;
    }
  }

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

  let tailing = false;
  let tailAgain = false;
  async function tail(): Promise<void> {
    if (tailing) {
      tailAgain = true;
      return;
    }
    tailing = true;
    try {
      do {
        tailAgain = false;
        for (;;) {
          const page = await store.readEvents({ after: cursor, lifecycleOnly: true, limit: 500 });
          for (const e of page) {
            cursor = e.seq;
            onLifecycle(e);
          }
          if (page.length < 500) break;
        }
      } while (tailAgain && !stopped);
    } catch (err) {
      log.warn({ err: String(err) }, 'could not read the event log; will retry');
    } finally {
      tailing = false;
    }
  }

  function onLifecycle(e: StoredEvent): void {
    const turn = e.sessionId ? turns.get(e.sessionId) : undefined;
    switch (e.type) {
      case 'session_created':
        void claimLoop();
        return;
      case 'session_updated':
        if (e.cancelRequested === true) turn?.onCancelRequested();
        // A session that ended elsewhere (e.g. cancelled while queued) may unblock its conversation.
        if (e.status !== 'processing') void claimLoop();
        return;
      case 'permission_resolved':
        turn?.onPermissionResolved(String(e.requestId), typeof e.optionId === 'string' ? e.optionId : null);
        return;
      case 'conversation_updated':
        // A user chose an agent mode: the conversation's agent, if it runs here, switches now.
        if (typeof e[MODE_REQUESTED] === 'string') pool.applyMode(e.conversationId, e[MODE_REQUESTED]);
        // Likewise a config option value.
        else if (isConfigRequest(e[CONFIG_REQUESTED]))
          pool.applyConfig(e.conversationId, e[CONFIG_REQUESTED].configId, e[CONFIG_REQUESTED].value);
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

  return {
    get agentProcesses() {
      return pool.size;
    },
    agentPid: (conversationId) => pool.pidOf(conversationId),

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
      for (const t of turns.values()) t.shutdown();
      await pool.stopAll();
      await Promise.all([...running]);
      await pool.stopAll();
    },
  };
}

function isConfigRequest(v: unknown): v is { configId: string; value: string } {
  const o = v as { configId?: unknown; value?: unknown } | null;
  return typeof o === 'object' && o !== null && typeof o.configId === 'string' && typeof o.value === 'string';
}
