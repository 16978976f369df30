import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as acp from '@agentclientprotocol/sdk';
import { recordPermissionRequest } from '../commands/permissions.ts';
import { INTERRUPTED_MESSAGE } from '../commands/recovery.ts';
import { noteAgentConfig } from '../commands/runner-config.ts';
import { recordAgentSession } from '../commands/runner-mode.ts';
import {
  type Claimed,
  LeaseLost,
  type TurnOutcome,
  appendAgentOutput,
  finishTurn,
  markPromptSent,
  releaseSession,
} from '../commands/runner.ts';
import { newId } from '../domain/ids.ts';
import type { Message, PermissionOption } from '../domain/types.ts';
import type { Store } from '../store/types.ts';
import type { AgentHost, TurnSink } from './acp-host.ts';
import { AssistantAccumulator } from './assistant-blocks.ts';
import { AgentFault, formatBytes } from './faults.ts';
import type { AgentLog } from './log.ts';
import { valuesToApply } from './config-options.ts';
import { offersMode } from './modes.ts';
import { OutputWriter } from './output-writer.ts';
import type { AgentSpec } from './types.ts';
import { mapSessionUpdate } from './update-mapper.ts';

// One agent turn (one session) from claim to its final transaction. The turn owns the ordering of
// its writes (through its OutputWriter) and reacts to what the runner relays from the store: a
// cancel request, a permission answer, the server stopping, the lease being lost.

export interface TurnDeps {
  store: Store;
  log: AgentLog;
  owner: string;
  cancelGraceMs: number;
  flushMs: number;
  maxTurnOutputBytes: number;
  /** Gets (or starts) the conversation's agent process. */
  acquireHost(claimed: Claimed, spec: AgentSpec): Promise<AgentHost>;
  /** Hands the process back: kept for the next turn when healthy, stopped otherwise. */
  releaseHost(host: AgentHost, healthy: boolean): void;
  resolveAgent(agentId: string): AgentSpec | undefined;
}

const PERMISSION_POLL_MS = 2000;
const BACKLOG_HIGH = 2000;
const BACKLOG_LOW = 200;

export class Turn implements TurnSink {
  readonly sessionId: string;
  readonly conversationId: string;
  private host: AgentHost | null = null;
  private readonly writer: OutputWriter;
  private readonly acc = new AssistantAccumulator();
  private readonly waiters = new Map<string, (optionId: string | null) => void>();
  private promptSent = false;
  private cancelRequested = false;
  private cancelSent = false;
  private stopping = false;
  private abandoned = false;
  private outputBytes = 0;
  private graceTimer: NodeJS.Timeout | null = null;
  private paused = false;

  constructor(
    private readonly deps: TurnDeps,
    private readonly claimed: Claimed,
  ) {
    this.sessionId = claimed.session.id;
    this.conversationId = claimed.session.conversationId;
    this.writer = new OutputWriter({
      store: deps.store,
      sessionId: this.sessionId,
      owner: deps.owner,
      flushMs: deps.flushMs,
      maxBatch: 500,
      giveUpMs: 30_000,
      onFailure: (err) => this.abandon(err),
      onBacklog: (n) => this.backpressure(n),
    });
  }

  async run(): Promise<void> {
    try {
      const outcome = await this.drive();
      await this.finish(outcome);
    } catch (err) {
      if (err instanceof LeaseLost || this.abandoned) {
        this.deps.log.warn({ sessionId: this.sessionId, err: String(err) }, 'turn abandoned');
      } else {
        this.deps.log.error({ sessionId: this.sessionId, err }, 'turn failed unexpectedly');
        await this.finish({
          kind: 'error',
          error: 'gmgui could not finish this turn because of an internal error.',
        }).catch(() => undefined);
      }
    } finally {
      if (this.graceTimer) clearTimeout(this.graceTimer);
      this.resolveWaiters(null);
      const host = this.host;
      if (host) {
        host.sink = null;
        if (this.paused) host.setPaused(false);
        this.deps.releaseHost(host, host.alive && !this.abandoned && !this.cancelSentWithoutAnswer());
      }
    }
  }

  /** The user asked to cancel (seen in the store). */
  onCancelRequested(): void {
    if (this.cancelRequested) return;
    this.cancelRequested = true;
    if (!this.promptSent || !this.host) return; // drive() checks the flag before prompting
    this.cancelSent = true;
    void this.host.cancel();
    // ACP: the client answers every pending permission request `cancelled` when cancelling.
    this.resolveWaiters(null);
    this.graceTimer = setTimeout(() => {
      this.deps.log.warn(
        { sessionId: this.sessionId },
        'agent did not stop after session/cancel; killing it',
      );
      void this.host?.stop();
    }, this.deps.cancelGraceMs);
  }

  onPermissionResolved(requestId: string, optionId: string | null): void {
    const w = this.waiters.get(requestId);
    if (!w) return;
    this.waiters.delete(requestId);
    w(optionId);
  }

  /** The server is stopping: end the turn now (released if the agent never got it, else interrupted). */
  shutdown(): void {
    this.stopping = true;
    this.resolveWaiters(null);
    void this.host?.stop();
  }

  /** Writing failed for good (lease lost, store gone): stop the agent, write nothing more. */
  abandon(err: unknown): void {
    if (this.abandoned) return;
    this.abandoned = true;
    this.deps.log.warn({ sessionId: this.sessionId, err: String(err) }, 'abandoning turn');
    this.resolveWaiters(null);
    void this.host?.stop();
  }

  // --- TurnSink: what the agent sends during the turn ---

  onUpdate(update: unknown): void {
    if (this.abandoned) return;
    const e = mapSessionUpdate(update);
    this.outputBytes += approxSize(e);
    if (this.outputBytes > this.deps.maxTurnOutputBytes) {
      const max = formatBytes(this.deps.maxTurnOutputBytes);
      this.host?.fail(
        new AgentFault(
          'too_much_output',
          `The agent "${this.host.spec.name}" produced more than ${max} of output in one turn, so gmgui stopped it.`,
        ),
      );
      return;
    }
    this.acc.add(e);
    this.writer.push(e);
  }

  async requestPermission(params: acp.RequestPermissionRequest): Promise<acp.RequestPermissionResponse> {
    if (this.cancelRequested || this.stopping || this.abandoned) return { outcome: { outcome: 'cancelled' } };
    const requestId = newId('perm');
    const options: PermissionOption[] = params.options.map((o) => ({
      optionId: o.optionId,
      name: o.name,
      kind: o.kind,
    }));
    const answered = new Promise<string | null>((resolve) => this.waiters.set(requestId, resolve));
    const { autoOptionId } = await this.writer.run(async (tx, events) => {
      // Buffered output first, then the request: the log keeps the order the agent used.
      await appendAgentOutput(tx, { sessionId: this.sessionId, owner: this.deps.owner, events });
      return recordPermissionRequest(tx, {
        requestId,
        sessionId: this.sessionId,
        conversationId: this.conversationId,
        toolCall: params.toolCall,
        options,
      });
    });
    if (autoOptionId) {
      this.waiters.delete(requestId);
      return { outcome: { outcome: 'selected', optionId: autoOptionId } };
    }
    // The answer normally arrives through the runner's view of the log; the poll is a safety net.
    const poll = setInterval(async () => {
      const p = await this.deps.store.getPermission(this.sessionId, requestId).catch(() => null);
      if (p && p.status === 'resolved') this.onPermissionResolved(requestId, p.optionId);
    }, PERMISSION_POLL_MS);
    try {
      const optionId = await answered;
      if (optionId === null || this.cancelRequested) return { outcome: { outcome: 'cancelled' } };
      return { outcome: { outcome: 'selected', optionId } };
    } finally {
      clearInterval(poll);
    }
  }

  // --- internals ---

  private async drive(): Promise<TurnOutcome> {
    const { session, conversation } = this.claimed;
    const spec = this.deps.resolveAgent(session.agentId);
    if (!spec) {
      return { kind: 'error', error: `The agent "${session.agentId}" is not configured on this server.` };
    }
    try {
      const host = await this.deps.acquireHost(this.claimed, spec);
      this.host = host;
      host.sink = this;
      if (!host.acpSessionId) {
        const opened = await host.openSession(conversation.acpSessionId);
        // The modes the session opened with, as a `mode` event like the agent's own updates.
        if (opened.modes) this.onUpdate({ sessionUpdate: 'current_mode_update', ...opened.modes });
        if (opened.configOptions)
          this.onUpdate({ sessionUpdate: 'config_option_update', configOptions: opened.configOptions });
        const remembered = await this.writer.run(async (tx, events) => {
          await appendAgentOutput(tx, { sessionId: this.sessionId, owner: this.deps.owner, events });
          const mode = await recordAgentSession(tx, {
            conversationId: conversation.id,
            acpSessionId: opened.acpSessionId,
            modes: opened.modes,
          });
          const config = await noteAgentConfig(tx, {
            conversationId: conversation.id,
            configOptions: host.configOptions,
          });
          return { mode, config };
        });
        // A new process starts in the agent's default mode and options: put it back in the conversation's.
        if (remembered.mode) await host.setMode(remembered.mode);
        for (const c of remembered.config) await host.setConfigOption(c.configId, c.value);
      } else {
        // A choice is normally applied the moment it is made (runner.ts); this is the safety net.
        const wanted = conversation.settings.modeId;
        if (wanted && wanted !== host.modes?.currentModeId && offersMode(host.modes, wanted))
          await host.setMode(wanted);
        for (const c of valuesToApply(host.configOptions, conversation.settings.configValues))
          await host.setConfigOption(c.configId, c.value);
      }
      if (this.cancelRequested || (await this.cancelInLog())) return this.cancelledOutcome('cancelled');
      if (this.stopping) throw new AgentFault('stopped', 'The server is stopping.');
      await this.writer.run(async (tx, events) => {
        await appendAgentOutput(tx, { sessionId: this.sessionId, owner: this.deps.owner, events });
        await markPromptSent(tx, { sessionId: this.sessionId, owner: this.deps.owner });
      });
      // A cancel that came while we were marking: the agent never gets the prompt.
      if (this.cancelRequested) return this.cancelledOutcome('cancelled');
      // From here a cancel request is forwarded to the agent (onCancelRequested).
      this.promptSent = true;
      const response = await host.prompt(promptBlocks(this.claimed.message));
      // The turn's token totals (ACP's optional PromptResponse.usage) are kept like usage updates.
      const usage = (response as { usage?: unknown }).usage; // unstable in ACP v1, so not in the stable type
      if (usage && typeof usage === 'object')
        this.onUpdate({ sessionUpdate: 'usage_update', turn: true, ...usage });
      if (this.cancelSent) return this.cancelledOutcome(response.stopReason);
      return {
        kind: response.stopReason === 'cancelled' ? 'cancelled' : 'completed',
        stopReason: response.stopReason,
        text: this.acc.text,
        blocks: this.acc.blocks,
      };
    } catch (err) {
      if (!(err instanceof AgentFault)) throw err;
      if (this.abandoned) throw err;
      if (this.stopping) return { kind: 'interrupted', error: INTERRUPTED_MESSAGE };
      // An agent killed because it ignored session/cancel still ends the way the user asked.
      if (this.cancelSent) return this.cancelledOutcome('cancelled');
      return { kind: 'error', error: err.message };
    }
  }

  /** A cancel recorded before this turn was listening (between claim and now) is still honoured. */
  private async cancelInLog(): Promise<boolean> {
    const events = await this.deps.store.readEvents({
      after: 0,
      sessionId: this.sessionId,
      lifecycleOnly: true,
      limit: 1000,
    });
    return events.some((e) => e.type === 'session_updated' && e.cancelRequested === true);
  }

  private cancelledOutcome(stopReason: string): TurnOutcome {
    return { kind: 'cancelled', stopReason, text: this.acc.text, blocks: this.acc.blocks };
  }

  private async finish(outcome: TurnOutcome): Promise<void> {
    if (this.abandoned) return;
    if (this.stopping && !this.promptSent) {
      await this.writer.run((tx) =>
        releaseSession(tx, { sessionId: this.sessionId, owner: this.deps.owner }),
      );
      return;
    }
    await this.writer.run((tx, events) =>
      finishTurn(tx, { sessionId: this.sessionId, owner: this.deps.owner, events, outcome }),
    );
  }

  private resolveWaiters(optionId: string | null): void {
    for (const [id, w] of this.waiters) {
      this.waiters.delete(id);
      w(optionId);
    }
  }

  private cancelSentWithoutAnswer(): boolean {
    // After a cancel the agent's state is uncertain if it had to be killed; a fresh one is cheaper.
    return this.cancelSent && !(this.host?.alive ?? false);
  }

  /** Stops reading the agent while the store catches up, so a flood cannot fill our memory. */
  private backpressure(backlog: number): void {
    if (!this.host) return;
    if (!this.paused && backlog > BACKLOG_HIGH) {
      this.paused = true;
      this.host.setPaused(true);
    } else if (this.paused && backlog < BACKLOG_LOW) {
      this.paused = false;
      this.host.setPaused(false);
    }
  }
}

function approxSize(e: object): number {
  const t = (e as { text?: unknown }).text;
  if (typeof t === 'string' && Object.keys(e).length <= 3) return t.length + 32;
  return JSON.stringify(e).length;
}

/** The user's message as ACP content: its text, plus the folder it points at as a resource link. */
export function promptBlocks(message: Message | null): acp.ContentBlock[] {
  if (!message) return [{ type: 'text', text: '' }];
  const c = message.content;
  const text = typeof c === 'string' ? c : c.text;
  const blocks: acp.ContentBlock[] = [{ type: 'text', text }];
  if (message.folderContext?.path) {
    const p = message.folderContext.path;
    blocks.push({ type: 'resource_link', uri: pathToFileURL(p).href, name: basename(p) || p });
  }
  return blocks;
}
