import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as acp from '@agentclientprotocol/sdk';
import type { ImageStore } from '../attachments/image-store.ts';
import { AttachmentUnavailable, attachmentBlocks } from '../attachments/prompt-blocks.ts';
import { INTERRUPTED_MESSAGE } from '../commands/recovery.ts';
import { openAgentSession } from '../commands/agent-settings.ts';
import {
  type Claimed,
  LeaseLost,
  type TurnOutcome,
  appendAgentOutput,
  finishTurn,
  markPromptSent,
  releaseSession,
} from '../commands/runner.ts';
import { toApply } from '../domain/agent-settings.ts';
import { type OutputEventBody, parseEvent } from '../domain/events.ts';
import type { Message } from '../domain/types.ts';
import type { Store } from '../store/types.ts';
import { TurnCheckpoint } from '../workspace/checkpoints/recorder.ts';
import type { AgentHost, TurnSink } from './acp-host.ts';
import { AssistantAccumulator } from './assistant-blocks.ts';
import { promptCapabilitiesOf } from './auth-methods.ts';
import { AgentFault, formatBytes } from './faults.ts';
import type { AgentLog } from './log.ts';
import { OutputWriter } from './output-writer.ts';
import { PermissionDesk } from './permission-desk.ts';
import { applyWanted, openedUpdates } from './session-open.ts';
import { turnUsage } from './prompt-usage.ts';
import type { AgentSpec } from './types.ts';
import { mapSessionUpdate, splitTerminalMeta } from './update-mapper.ts';

// One agent turn (one session) from claim to its final transaction. The turn owns the ordering of
// its writes (through its OutputWriter) and reacts to what the runner relays from the store: a
// cancel request, a permission answer (permission-desk.ts), the server stopping, the lease being
// lost. Commands the agent ran through us (client terminals) are killed when it ends.

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
  /** Where attached images are stored, and the roots attached files must stay in. */
  images: ImageStore;
  roots: string[];
  /** Where checkpoints keep the files a turn touches (src/workspace/checkpoints); absent: none kept. */
  dataDir?: string;
  /** The agent refused for want of signing in (true), or opened a session (false). */
  onSignIn?(agentId: string, needsSignIn: boolean): void;
}

const BACKLOG_HIGH = 2000;
const BACKLOG_LOW = 200;

export class Turn implements TurnSink {
  readonly sessionId: string;
  readonly conversationId: string;
  private host: AgentHost | null = null;
  private readonly writer: OutputWriter;
  private readonly acc = new AssistantAccumulator();
  private readonly desk: PermissionDesk;
  /** Tool calls a person (or rule) refused: their later `failed` updates are marked rejected too. */
  private readonly rejected = new Set<string>();
  private authRequired = false;
  private promptSent = false;
  private cancelRequested = false;
  private cancelSent = false;
  private stopping = false;
  private abandoned = false;
  private outputBytes = 0;
  private graceTimer: NodeJS.Timeout | null = null;
  private paused = false;
  /** The files this turn touches, as they were before it (docs/CONTRACT.md section 9). */
  private readonly checkpoint: TurnCheckpoint | null;

  constructor(
    private readonly deps: TurnDeps,
    private readonly claimed: Claimed,
  ) {
    this.sessionId = claimed.session.id;
    this.conversationId = claimed.session.conversationId;
    this.checkpoint = deps.dataDir ? TurnCheckpoint.open(deps.dataDir, claimed.conversation.cwd, deps.roots) : null;
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
    this.desk = new PermissionDesk({
      store: deps.store,
      sessionId: this.sessionId,
      conversationId: this.conversationId,
      owner: deps.owner,
      writer: this.writer,
      knownTool: (id) => this.acc.tool(id),
      closed: () => this.cancelRequested || this.stopping || this.abandoned,
      onRejected: (id) => {
        this.rejected.add(id);
        this.onEvent({ type: 'tool_update', toolCallId: id, rejected: true });
      },
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
      this.desk.closeAll();
      const host = this.host;
      if (host) {
        // Commands the agent left running end with its turn (it may still read their output).
        host.terminals.killAll();
        host.sink = null;
        if (this.paused) host.setPaused(false);
        // An agent that wants signing in is started afresh after the sign-in.
        const healthy = host.alive && !this.abandoned && !this.cancelSentWithoutAnswer() && !this.authRequired;
        this.deps.releaseHost(host, healthy);
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
    this.desk.closeAll();
    this.graceTimer = setTimeout(() => {
      this.deps.log.warn(
        { sessionId: this.sessionId },
        'agent did not stop after session/cancel; killing it',
      );
      void this.host?.stop();
    }, this.deps.cancelGraceMs);
  }

  onPermissionResolved(requestId: string, optionId: string | null): void {
    this.desk.resolved(requestId, optionId);
  }

  /** The server is stopping: end the turn now (released if the agent never got it, else interrupted). */
  shutdown(): void {
    this.stopping = true;
    this.desk.closeAll();
    void this.host?.stop();
  }

  /** Writing failed for good (lease lost, store gone): stop the agent, write nothing more. */
  abandon(err: unknown): void {
    if (this.abandoned) return;
    this.abandoned = true;
    this.deps.log.warn({ sessionId: this.sessionId, err: String(err) }, 'abandoning turn');
    this.desk.closeAll();
    void this.host?.stop();
  }

  // --- TurnSink: what the agent sends during the turn ---

  onUpdate(update: unknown): void {
    if (this.abandoned) return;
    // Claude's and Codex's way of streaming a shell command's output: the same events as a terminal's.
    const split = splitTerminalMeta(update);
    // A new tool call comes before its output; an update's output before the update, so that a tool
    // stored as completed has its command's exit already stored.
    const first = (update as { sessionUpdate?: unknown } | null)?.sessionUpdate === 'tool_call';
    if (!first) for (const e of split.events) this.onEvent(e);
    if (split.update !== null) {
      const e = mapSessionUpdate(split.update);
      if (e.type === 'tool_update' && e.status === 'failed' && this.rejected.has(e.toolCallId)) e.rejected = true;
      this.onEvent(e);
    }
    if (first) for (const e of split.events) this.onEvent(e);
  }

  onEvent(e: OutputEventBody): void {
    if (this.abandoned) return;
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
    // A turn that outlived a server replays what is already stored: kept in the text, not stored twice.
    if (this.host?.takeStored()) return;
    this.checkpoint?.observe(e);
    this.writer.push(e);
  }

  beforeWrite(path: string): Promise<void> {
    return this.checkpoint?.beforeWrite(path) ?? Promise.resolve();
  }

  requestPermission(params: acp.RequestPermissionRequest): Promise<acp.RequestPermissionResponse> {
    return this.desk.request(params);
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
      // The settings the conversation wants and the agent is not in yet.
      let wanted: ReturnType<typeof toApply>;
      if (!host.acpSessionId) {
        const opened = await host.openSession(conversation.acpSessionId);
        this.deps.onSignIn?.(spec.id, false);
        // The modes and options the session opened with, as events like the agent's own updates.
        for (const u of openedUpdates(opened)) this.onUpdate(u);
        // A new process starts in the agent's default mode and options: put it back in the conversation's.
        wanted = await this.writer.run(async (tx, events) => {
          await appendAgentOutput(tx, { sessionId: this.sessionId, owner: this.deps.owner, events });
          return openAgentSession(tx, {
            conversationId: conversation.id,
            acpSessionId: opened.acpSessionId,
            modes: opened.modes,
            configOptions: host.configOptions,
          });
        });
      } else {
        // A choice is normally applied the moment it is made (runner.ts); this is the safety net.
        wanted = toApply(conversation.settings, host);
      }
      await applyWanted(host, wanted);
      // Attachments are read before the prompt is marked sent: one that cannot be sent ends the turn.
      const blocks = await this.promptOf(host, spec);
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
      const response = await host.prompt(blocks);
      // The turn's token totals (ACP's optional PromptResponse.usage, or Gemini's _meta) are kept like usage updates.
      const usage = turnUsage(response);
      if (usage) this.onUpdate({ sessionUpdate: 'usage_update', turn: true, ...usage });
      if (this.cancelSent) return this.cancelledOutcome(response.stopReason);
      return {
        kind: response.stopReason === 'cancelled' ? 'cancelled' : 'completed',
        stopReason: response.stopReason,
        text: this.acc.text,
        blocks: this.acc.blocks,
      };
    } catch (err) {
      if (err instanceof AttachmentUnavailable && !this.abandoned) return { kind: 'error', error: err.message };
      if (!(err instanceof AgentFault)) throw err;
      if (this.abandoned) throw err;
      if (this.stopping) return { kind: 'interrupted', error: INTERRUPTED_MESSAGE };
      // An agent killed because it ignored session/cancel still ends the way the user asked.
      if (this.cancelSent) return this.cancelledOutcome('cancelled');
      if (err.kind === 'auth_required') {
        this.authRequired = true;
        this.deps.onSignIn?.(spec.id, true);
        return { kind: 'error', error: err.message, errorCode: 'auth_required' };
      }
      return { kind: 'error', error: err.message };
    }
  }

  /** The user's message as ACP content: its text, the folder it points at, its attachments. */
  private async promptOf(host: AgentHost, spec: AgentSpec): Promise<acp.ContentBlock[]> {
    const message = this.claimed.message;
    const blocks = promptBlocks(message);
    if (!message?.attachments?.length) return blocks;
    const more = await attachmentBlocks(message.attachments, {
      images: this.deps.images,
      roots: this.deps.roots,
      capabilities: promptCapabilitiesOf(host.init?.agentCapabilities),
      agentName: spec.name,
    });
    return [...blocks, ...more];
  }

  /** A cancel recorded before this turn was listening (between claim and now) is still honoured. */
  private async cancelInLog(): Promise<boolean> {
    const events = await this.deps.store.readEvents({
      after: 0,
      sessionId: this.sessionId,
      lifecycleOnly: true,
      limit: 1000,
    });
    return events.some((row) => {
      const r = parseEvent(row);
      return r.ok && r.event.type === 'session_updated' && r.event.cancelRequested === true;
    });
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
    // The files the turn changed, saved as they were before it: one event before its end.
    const checkpoint = await this.checkpoint?.finish();
    if (checkpoint) this.writer.push(checkpoint);
    await this.writer.run((tx, events) =>
      finishTurn(tx, { sessionId: this.sessionId, owner: this.deps.owner, events, outcome }),
    );
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

/** Roughly the bytes an event takes; text chunks, by far the most frequent, without serializing them. */
function approxSize(e: OutputEventBody): number {
  if (e.type === 'text_delta' || e.type === 'thought_delta') return e.text.length + 32;
  return JSON.stringify(e).length;
}

/** The user's message as ACP content: its text, plus the folder it points at as a resource link. */
export function promptBlocks(message: Message | null): acp.ContentBlock[] {
  if (!message) return [{ type: 'text', text: '' }];
  const c = message.content;
  const text = typeof c === 'string' ? c : c.text;
  // A message of attachments only has no text block.
  const blocks: acp.ContentBlock[] = text || !message.attachments?.length ? [{ type: 'text', text }] : [];
  if (message.folderContext?.path) {
    const p = message.folderContext.path;
    blocks.push({ type: 'resource_link', uri: pathToFileURL(p).href, name: basename(p) || p });
  }
  return blocks;
}
