import { noteAgentCommands, noteAgentConfig, noteAgentMode, noteAgentTitle } from '../commands/agent-settings.ts';
import { offersMode } from '../domain/agent-settings.ts';
import type { AgentCommand, SessionConfigInfo } from '../domain/types.ts';
import { appendIdleOutput } from '../commands/runner.ts';
import type { Store, Tx } from '../store/types.ts';
import { AgentHost } from './acp-host.ts';
import type { KeeperSettings } from './keeper/settings.ts';
import { AgentFault } from './faults.ts';
import { folderRefusal } from './fs-access.ts';
import type { AgentLog } from './log.ts';
import type { AgentSpec } from './types.ts';
import { isHistoryReplay, mapSessionUpdate } from './update-mapper.ts';
import { storedHistory } from './replay-filter.ts';

// Agent processes, one per conversation: a crash or a hang in one conversation cannot touch
// another. A process is kept after a turn for the next message and stopped after `idleMs` unused.
// At most `maxAgents` processes live at once (GMGUI_MAX_AGENTS), counting those still stopping: a
// new one first stops the least recently used idle process, or waits for one to become idle. The
// runner claims no more turns than that (runner.ts), so the turns beyond it stay `pending`.

export interface PoolOptions {
  store: Store;
  log: AgentLog;
  roots: string[];
  idleMs: number;
  silenceMs: number;
  maxMessageBytes: number;
  /** At most this many agent processes at once; unset: no limit. */
  maxAgents?: number;
  /** Agents run under keepers and outlive the server (GMGUI_KEEPERS=1, keeper/). */
  keepers?: KeeperSettings | null;
  onInitialized?(spec: AgentSpec, host: AgentHost): void;
}

function sameSpec(a: AgentSpec, b: AgentSpec): boolean {
  return a.id === b.id && a.command === b.command && JSON.stringify(a.args) === JSON.stringify(b.args);
}

export class HostPool {
  private readonly hosts = new Map<string, AgentHost>();
  private readonly idle = new Map<AgentHost, NodeJS.Timeout>();
  private readonly stopping = new Set<Promise<void>>();
  /** Mode reports are written one after another, so the last one the agent sent is the one kept. */
  private modeWrites: Promise<void> = Promise.resolve();
  /** acquire() calls waiting for room, and how to wake them when a process is released or reaped. */
  private waiting = 0;
  private wakeups: Array<() => void> = [];
  private closed = false;

  constructor(private readonly o: PoolOptions) {}

  /** How many agent processes are running (tests and the bench read it). */
  get size(): number {
    return this.hosts.size;
  }

  pidOf(conversationId: string): number | undefined {
    return this.hosts.get(conversationId)?.pid;
  }

  async acquire(conversationId: string, cwd: string, spec: AgentSpec): Promise<AgentHost> {
    const existing = this.hosts.get(conversationId);
    if (existing) {
      this.clearIdle(existing);
      if (existing.alive && sameSpec(existing.spec, spec) && existing.cwd === cwd) return existing;
      this.discard(existing);
    }
    // The folder may have changed since the conversation was created (a checkout replaced it by a link).
    const refusal = await folderRefusal(cwd, this.o.roots);
    if (refusal) throw new AgentFault('missing_folder', refusal);
    await this.makeRoom(conversationId);
    // No await between the room check above and taking the slot here.
    const host = new AgentHost({
      spec,
      conversationId,
      cwd,
      roots: this.o.roots,
      log: this.o.log,
      silenceMs: this.o.silenceMs,
      maxMessageBytes: this.o.maxMessageBytes,
      keepers: this.o.keepers,
      storedHistory: () => storedHistory(this.o.store, conversationId),
      onIdleUpdate: (update) => this.storeIdleUpdate(conversationId, update),
      onModeReport: (modeId) => this.storeModeReport(conversationId, modeId),
      onConfigReport: (options) => this.storeConfigReport(conversationId, options),
      onCommandsReport: (commands) => this.storeCommandsReport(conversationId, commands),
      onTitleReport: (title) => this.storeReport(conversationId, 'the agent title', (tx) => noteAgentTitle(tx, { conversationId, title })),
    });
    this.hosts.set(conversationId, host);
    // A process that dies between turns is dropped, so the next message starts a fresh one.
    host.faulted.then((f) => {
      if (!host.sink && this.hosts.get(conversationId) === host) {
        this.o.log.info({ conversationId, reason: f.message }, 'idle agent ended');
        this.discard(host);
      }
    });
    try {
      await host.start();
    } catch (err) {
      this.discard(host);
      throw err;
    }
    this.o.onInitialized?.(spec, host);
    return host;
  }

  release(host: AgentHost, healthy: boolean): void {
    if (!healthy || !host.alive || this.hosts.get(host.conversationId) !== host) {
      this.discard(host);
      return;
    }
    this.clearIdle(host);
    const t = setTimeout(() => this.discard(host), this.o.idleMs);
    t.unref();
    // Insertion order is the order of last use: the first idle host is the least recently used.
    this.idle.set(host, t);
    this.wake();
  }

  /** Stops a process and forgets it; the returned promise resolves once it is reaped. */
  discard(host: AgentHost): Promise<void> {
    this.clearIdle(host);
    if (this.hosts.get(host.conversationId) === host) this.hosts.delete(host.conversationId);
    const p = host.stop().catch(() => undefined);
    this.stopping.add(p);
    void p.finally(() => {
      this.stopping.delete(p);
      this.wake();
    });
    return p;
  }

  /** Waits until one more process fits under maxAgents, stopping idle ones (least recently used first). */
  private async makeRoom(conversationId: string): Promise<void> {
    const max = this.o.maxAgents ?? Number.POSITIVE_INFINITY;
    if (this.hosts.size + this.stopping.size < max) return;
    this.waiting++;
    try {
      while (this.hosts.size + this.stopping.size >= max) {
        if (this.closed) throw new AgentFault('stopped', 'The server is stopping.');
        // Each process being stopped frees a slot for one waiter: stop another only if that is short.
        const lru = this.idle.keys().next().value;
        if (lru && this.stopping.size < this.waiting) {
          this.o.log.info(
            { conversationId: lru.conversationId, for: conversationId, maxAgents: max },
            'stopping the least recently used idle agent to make room',
          );
          void this.discard(lru);
        }
        await new Promise<void>((r) => this.wakeups.push(r));
      }
    } finally {
      this.waiting--;
    }
  }

  private wake(): void {
    const w = this.wakeups;
    this.wakeups = [];
    for (const r of w) r();
  }

  /**
   * A user chose a mode (seen in the log): switches the conversation's agent if it runs here. Where
   * it does not, the runner that opens the agent session next applies the remembered choice.
   */
  applyMode(conversationId: string, modeId: string): void {
    const host = this.hosts.get(conversationId);
    if (!host?.alive || !host.acpSessionId || host.modes?.currentModeId === modeId) return;
    if (!offersMode(host.modes, modeId)) return;
    host
      .setMode(modeId)
      .catch((err) =>
        this.o.log.warn({ conversationId, modeId, err: String(err) }, 'could not switch the agent mode'),
      );
  }

  /**
   * A user chose a config option value (seen in the log): sets it on the conversation's agent if it
   * runs here. Where it does not, the runner that opens the agent session next applies it.
   */
  applyConfig(conversationId: string, configId: string, value: string): void {
    const host = this.hosts.get(conversationId);
    if (!host?.alive || !host.acpSessionId) return;
    const option = host.configOptions.find((o) => o.id === configId);
    if (!option || option.currentValue === value || !option.values.includes(value)) return;
    host
      .setConfigOption(configId, value)
      .catch((err) =>
        this.o.log.warn(
          { conversationId, configId, value, err: String(err) },
          'could not set the agent config option',
        ),
      );
  }

  /**
   * After the agent signed in: its processes that have no session open (they were refused one, or
   * never opened one) are stopped, so the next turn starts one that knows it is signed in.
   */
  discardUnopened(agentId: string): void {
    for (const h of [...this.hosts.values()])
      if (h.spec.id === agentId && !h.acpSessionId && !h.sink && this.idle.has(h)) void this.discard(h);
  }

  discardConversation(conversationId: string): void {
    const h = this.hosts.get(conversationId);
    if (h) this.discard(h);
  }

  /** The server is stopping and its agents are kept (keeper/): let go of them, leave them running. */
  detachAll(): void {
    for (const h of [...this.hosts.values()]) {
      if (!h.detach()) continue;
      this.clearIdle(h);
      this.hosts.delete(h.conversationId);
    }
  }

  async stopAll(): Promise<void> {
    this.closed = true;
    this.wake();
    for (const h of [...this.hosts.values()]) this.discard(h);
    await Promise.all([...this.stopping]);
  }

  private clearIdle(host: AgentHost): void {
    const t = this.idle.get(host);
    if (t) clearTimeout(t);
    this.idle.delete(host);
  }

  private storeModeReport(conversationId: string, modeId: string): void {
    this.modeWrites = this.modeWrites.then(() =>
      this.o.store
        .transaction((tx) => noteAgentMode(tx, { conversationId, modeId }))
        .catch((err) =>
          this.o.log.warn({ conversationId, err: String(err) }, 'could not remember the agent mode'),
        ),
    );
  }

  private storeConfigReport(conversationId: string, configOptions: SessionConfigInfo[]): void {
    this.storeReport(conversationId, 'the agent config options', (tx) =>
      noteAgentConfig(tx, { conversationId, configOptions }),
    );
  }

  private storeCommandsReport(conversationId: string, availableCommands: AgentCommand[]): void {
    this.storeReport(conversationId, 'the agent commands', (tx) =>
      noteAgentCommands(tx, { conversationId, availableCommands }),
    );
  }

  /** What the agent reported, written after the reports before it (the last one is the one kept). */
  private storeReport(conversationId: string, what: string, fn: (tx: Tx) => Promise<unknown>): void {
    this.modeWrites = this.modeWrites.then(() =>
      this.o.store
        .transaction(fn)
        .then(() => undefined)
        .catch((err) => this.o.log.warn({ conversationId, err: String(err) }, `could not remember ${what}`)),
    );
  }

  private storeIdleUpdate(conversationId: string, update: unknown): void {
    // Output outside a turn: content would have no turn to belong to; state updates are kept.
    if (isHistoryReplay(update)) return;
    const e = mapSessionUpdate(update);
    this.o.store
      .transaction((tx) => appendIdleOutput(tx, { conversationId, events: [e] }))
      .catch((err) =>
        this.o.log.warn({ conversationId, err: String(err) }, 'could not store idle agent update'),
      );
  }
}
