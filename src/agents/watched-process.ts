import type { ExitInfo } from './agent-process.ts';

// Kept apart from agent-process.ts so that the keeper's link (which agent-process.ts reaches through
// its imports) can extend it without an import cycle leaving the class undefined at load time.

/** What a spawned agent and a kept one (src/agents/keeper/link.ts) both answer about their process. */
export abstract class WatchedProcess {
  abstract readonly child: { pid?: number | undefined };
  protected exitInfo: ExitInfo | null = null;
  /** The last bytes of the agent's stderr, for error messages. */
  protected tail = '';

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  stderrTail(): string {
    return this.tail;
  }
}
