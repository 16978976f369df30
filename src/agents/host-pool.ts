import { noteAgentConfig } from '../commands/runner-config.ts';
import { noteAgentMode } from '../commands/runner-mode.ts';
import type { SessionConfigInfo } from '../domain/types.ts';
import { appendIdleOutput } from '../commands/runner.ts';
import type { Store } from '../store/types.ts';
import { AgentHost } from './acp-host.ts';
import type { AgentLog } from './log.ts';
import { offersMode } from './modes.ts';
import type { AgentSpec } from './types.ts';
import { isHistoryReplay, mapSessionUpdate } from './update-mapper.ts';

// Agent processes, one per conversation: a crash or a hang in one conversation cannot touch
// another. A process is kept after a turn for the next message and stopped after `idleMs` unused.

export interface PoolOptions {
  store: Store;
  log: AgentLog;
  roots: string[];
  idleMs: number;
  silenceMs: number;
  maxMessageBytes: number;
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
    const host = new AgentHost({
      spec,
      conversationId,
      cwd,
      roots: this.o.roots,
      log: this.o.log,
      silenceMs: this.o.silenceMs,
      maxMessageBytes: this.o.maxMessageBytes,
      onIdleUpdate: (update) => this.storeIdleUpdate(conversationId, update),
      onModeReport: (modeId) => this.storeModeReport(conversationId, modeId),
      onConfigReport: (options) => this.storeConfigReport(conversationId, options),
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
    this.idle.set(host, t);
  }

  /** Stops a process and forgets it; the returned promise resolves once it is reaped. */
  discard(host: AgentHost): Promise<void> {
    this.clearIdle(host);
    if (this.hosts.get(host.conversationId) === host) this.hosts.delete(host.conversationId);
    const p = host.stop().catch(() => undefined);
    this.stopping.add(p);
    void p.finally(() => this.stopping.delete(p));
    return p;
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

  discardConversation(conversationId: string): void {
    const h = this.hosts.get(conversationId);
    if (h) this.discard(h);
  }

  async stopAll(): Promise<void> {
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
    this.modeWrites = this.modeWrites.then(() =>
      this.o.store
        .transaction((tx) => noteAgentConfig(tx, { conversationId, configOptions, follow: true }))
        .then(() => undefined)
        .catch((err) =>
          this.o.log.warn(
            { conversationId, err: String(err) },
            'could not remember the agent config options',
          ),
        ),
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
