import * as acp from '@agentclientprotocol/sdk';
import { AgentFault, toAgentFault } from './faults.ts';
import type { AgentLog } from './log.ts';

// How an AgentHost (acp-host.ts) waits on its agent: every request is raced against `faulted`, which
// settles on the first sign of trouble (the process ended, wrote garbage, flooded), and a watchdog
// stops an agent that falls silent while it owes us an answer. While a person decides (a permission)
// or a command the agent started runs (a client terminal), the agent owes us nothing.

/** What `attempt` returns when the agent refused a request it may refuse. */
export const REFUSED = Symbol('refused');
/** How long to wait for the exit status after the agent's output closed, to report the real cause. */
const EXIT_REPORT_MS = 1500;

export interface GuardOptions {
  agentId: string;
  agentName: string;
  conversationId: string;
  log: AgentLog;
  silenceMs: number;
  /** Ends the connection with this fault (the host kills the process). */
  fail(f: AgentFault): void;
}

export class CallGuard {
  fault: AgentFault | null = null;
  readonly faulted: Promise<AgentFault>;
  private settleFault!: (f: AgentFault) => void;
  private busy = 0;
  private waitingOnUser = 0;
  private lastActivity = Date.now();
  private silenceLimit: number;
  private watchdog: NodeJS.Timeout | null = null;

  constructor(private readonly o: GuardOptions) {
    this.silenceLimit = o.silenceMs;
    this.faulted = new Promise((r) => {
      this.settleFault = r;
    });
  }

  startWatchdog(): void {
    this.watchdog = setInterval(
      () => this.checkSilence(),
      Math.max(50, Math.min(1000, this.o.silenceMs / 4)),
    );
    this.watchdog.unref();
  }

  stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  /** The first fault wins; returns false when one was already recorded. */
  settle(f: AgentFault): boolean {
    if (this.fault) return false;
    this.fault = f;
    this.settleFault(f);
    this.stopWatchdog();
    return true;
  }

  activity(): void {
    this.lastActivity = Date.now();
  }

  waiting(delta: 1 | -1): void {
    this.waitingOnUser += delta;
    this.lastActivity = Date.now();
  }

  /** Runs `fn` allowing at least `ms` of silence (starting, opening a session, signing in). */
  async patient<T>(ms: number, fn: () => Promise<T>): Promise<T> {
    this.silenceLimit = Math.max(this.o.silenceMs, ms);
    try {
      return await fn();
    } finally {
      this.silenceLimit = this.o.silenceMs;
    }
  }

  /** Makes a request, counting it as work the agent owes us (silence watchdog), raced with faults. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.fault) throw this.fault;
    this.busy++;
    this.lastActivity = Date.now();
    try {
      return await Promise.race([
        fn().catch(async (err: unknown) => {
          if (!this.fault && !(err instanceof acp.RequestError)) {
            // Usually "connection closed": the process is ending and its exit status tells why.
            await Promise.race([this.faulted, new Promise((r) => setTimeout(r, EXIT_REPORT_MS))]);
          }
          if (this.fault) throw this.fault;
          throw toAgentFault(this.o.agentName, err);
        }),
        this.faulted.then((f) => {
          throw f;
        }),
      ]);
    } finally {
      this.busy--;
      this.lastActivity = Date.now();
    }
  }

  /**
   * A request the agent may refuse without harm (it answered with an error, or with something we
   * could not read): the refusal is logged and REFUSED returned. A fault that ended the connection is
   * thrown.
   */
  async attempt<T>(
    what: string,
    fn: () => Promise<T>,
    detail: Record<string, unknown> = {},
  ): Promise<T | typeof REFUSED> {
    try {
      return await this.call(fn);
    } catch (err) {
      if (this.fault) throw this.fault;
      this.o.log.warn(
        { agent: this.o.agentId, conversationId: this.o.conversationId, ...detail, err: String(err) },
        `the agent refused ${what}`,
      );
      return REFUSED;
    }
  }

  private checkSilence(): void {
    if (this.fault || this.busy === 0 || this.waitingOnUser > 0) return;
    const quiet = Date.now() - this.lastActivity;
    if (quiet <= this.silenceLimit) return;
    const secs = Math.round(this.o.silenceMs / 100) / 10;
    this.o.fail(
      new AgentFault(
        'silent',
        `The agent "${this.o.agentName}" sent nothing for ${secs} s while it was supposed to be working, so gmgui stopped it.`,
      ),
    );
  }
}
