import * as acp from '@agentclientprotocol/sdk';
import type { AgentModes } from '../domain/agent-settings.ts';
import type { SessionConfigInfo } from '../domain/types.ts';
import { AgentProcess, type ExitInfo, agentEnv } from './agent-process.ts';
import { CallGuard, REFUSED } from './call-guard.ts';
import { CLIENT_CAPABILITIES, CLIENT_INFO } from './client-capabilities.ts';
import { type TurnSink, clientHandlers } from './client-handlers.ts';
import { AgentFault } from './faults.ts';
import { FolderAccess } from './fs-access.ts';
import type { AgentLog } from './log.ts';
import { acpMcpServers } from './mcp-servers.ts';
import { type OpenedSettings, SessionSettings, type SettingsReports } from './session-settings.ts';
import { type StdioTransport, stdioTransport } from './stdio-transport.ts';
import { KeptProcess } from './keeper/link.ts';
import { type KeeperSettings, keptProcess } from './keeper/settings.ts';
import { AgentTerminals } from './terminals/agent-terminals.ts';
import type { AgentSpec } from './types.ts';
import { ReplayFilter, type StoredHistory } from './replay-filter.ts';

// One agent process and its ACP connection, serving one conversation (one ACP session). Every wait on
// the agent goes through its CallGuard (call-guard.ts): raced against the first sign of trouble (it
// ended, wrote garbage, flooded, or fell silent while it owed us an answer). What the agent asks of us:
// client-handlers.ts (files, permissions, terminals); its modes and config options: session-settings.ts.

export type { TurnSink } from './client-handlers.ts';

export interface HostOptions extends SettingsReports {
  spec: AgentSpec;
  conversationId: string;
  cwd: string;
  roots: string[];
  log: AgentLog;
  silenceMs: number;
  maxMessageBytes: number;
  /** Updates that arrive when no turn is running (e.g. available commands after a turn ended). */
  onIdleUpdate(update: unknown): void;
  /** Set (GMGUI_KEEPERS=1): the agent runs under a keeper and outlives the server (keeper/). */
  keepers?: KeeperSettings | null;
  /** What the conversation holds, to recognise the history an agent replays (replay-filter.ts). */
  storedHistory?: () => Promise<StoredHistory>;
}

export interface OpenedSession extends OpenedSettings {
  acpSessionId: string;
  how: 'new' | 'loaded' | 'resumed';
  /** Set when the agent refused to reload the stored session (this request) and a new one began. */
  refused?: 'session/load' | 'session/resume';
}

const START_SILENCE_MS = 30_000;

export class AgentHost {
  readonly spec: AgentSpec;
  readonly conversationId: string;
  readonly cwd: string;
  init: acp.InitializeResponse | null = null;
  acpSessionId: string | null = null;
  sink: TurnSink | null = null;
  /** The commands the agent runs through us (ACP terminal/*). */
  readonly terminals: AgentTerminals;

  private proc: AgentProcess | KeptProcess | null = null;
  /** A turn that outlived the last server: its prompt is adopted, not sent again (keeper/). */
  private adopted: KeptProcess | null = null;
  private transport: StdioTransport | null = null;
  private conn: acp.ClientConnection | null = null;
  private folder: FolderAccess | null = null;
  private stopping = false;
  private replay: ReplayFilter | null = null;
  private readonly settings: SessionSettings;
  private readonly guard: CallGuard;

  constructor(private readonly opts: HostOptions) {
    this.spec = opts.spec;
    this.conversationId = opts.conversationId;
    this.cwd = opts.cwd;
    this.settings = new SessionSettings(opts);
    this.guard = new CallGuard({
      agentId: opts.spec.id,
      agentName: opts.spec.name,
      conversationId: opts.conversationId,
      log: opts.log,
      silenceMs: opts.silenceMs,
      fail: (f) => this.fail(f),
    });
    this.terminals = new AgentTerminals({
      folder: () => this.folder?.folder ?? null,
      env: () => agentEnv(this.spec),
      emit: (e) => this.sink?.onEvent(e),
    });
  }

  get fault(): AgentFault | null {
    return this.guard.fault;
  }

  get faulted(): Promise<AgentFault> {
    return this.guard.faulted;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** The session's modes as last known: from opening it, then its mode updates and set_mode answers. */
  get modes(): AgentModes | null {
    return this.settings.modes;
  }

  /** The session's config options as last known: from opening it, then updates and set answers. */
  get configOptions(): SessionConfigInfo[] {
    return this.settings.configOptions;
  }

  get alive(): boolean {
    return this.fault === null && !this.stopping && (this.proc?.alive ?? false);
  }

  /** Pause or resume reading the agent's output (backpressure while the store catches up). */
  setPaused(paused: boolean): void {
    if (paused) this.transport?.pause();
    else this.transport?.resume();
  }

  /** Starts the process and runs `initialize`. Throws an AgentFault on any failure. */
  async start(): Promise<acp.InitializeResponse> {
    this.folder = await FolderAccess.create(this.cwd, this.opts.roots);
    const proc = this.opts.keepers
      ? await keptProcess(this.opts.keepers, { spec: this.spec, cwd: this.cwd, conversationId: this.conversationId })
      : new AgentProcess(this.spec, this.cwd, (line) =>
          this.opts.log.debug({ agent: this.spec.id, conversationId: this.conversationId, line }, 'agent stderr'),
        );
    this.proc = proc;
    proc.exited.then((info) => this.onExit(info));
    if (proc.child.pid === undefined) {
      // spawn failed synchronously-ish (ENOENT arrives as an 'error' event); wait for it.
      throw await this.faulted;
    }
    this.transport = stdioTransport(
      this.spec.name,
      proc.child.stdout,
      proc.child.stdin,
      {
        onUpdate: (params) => this.onUpdate(params),
        onActivity: () => this.guard.activity(),
        onFault: (f) => this.fail(f),
      },
      { maxMessageBytes: this.opts.maxMessageBytes },
    );
    this.conn = clientHandlers({
      agentId: this.spec.id,
      log: this.opts.log,
      sink: () => this.sink,
      folder: () => this.folder,
      acpSessionId: () => this.acpSessionId,
      waitingOnUser: (delta) => this.guard.waiting(delta),
      terminals: this.terminals,
    }).connect(this.transport.stream);
    this.guard.startWatchdog();
    if (proc instanceof KeptProcess && proc.init) {
      // Attached again after a restart: initialized, its ACP session open (docs/DESIGN.md "Process model").
      this.init = proc.init as acp.InitializeResponse;
      this.acpSessionId = proc.acpSessionId;
      if (proc.adoption?.sessionId) this.adopted = proc;
      else await proc.resume(false);
      return this.init;
    }
    if (proc instanceof KeptProcess) await proc.resume(false);
    const request: acp.InitializeRequest = {
      protocolVersion: acp.PROTOCOL_VERSION,
      clientCapabilities: CLIENT_CAPABILITIES,
      clientInfo: CLIENT_INFO,
    };
    // Starting (a runtime loading, an adapter spawning its CLI) may legitimately take longer than
    // the silence allowed mid-turn.
    const init = await this.guard.patient(START_SILENCE_MS, () =>
      this.guard.call(() => this.agent().request(acp.methods.agent.initialize, request)),
    );
    this.init = init;
    return init;
  }

  /**
   * Opens the conversation's ACP session: reuses `storedId` through session/load or session/resume
   * when the agent says it can (history it replays during load is not a new turn and is dropped),
   * otherwise starts a new one in the conversation's folder.
   */
  async openSession(storedId: string | null): Promise<OpenedSession> {
    // Creating or loading a session can be slow (history replay, MCP servers starting).
    this.settings.opening = true;
    try {
      const { acpSessionId, how, answer, refused } = await this.guard.patient(START_SILENCE_MS, () =>
        this.openSessionNow(storedId),
      );
      this.acpSessionId = acpSessionId;
      return { acpSessionId, how, ...(refused ? { refused } : {}), ...this.settings.opened(answer) };
    } finally {
      this.settings.opening = false;
    }
  }

  private async openSessionNow(
    storedId: string | null,
  ): Promise<{
    acpSessionId: string;
    how: OpenedSession['how'];
    answer: unknown;
    refused?: OpenedSession['refused'];
  }> {
    const caps = this.init?.agentCapabilities;
    const mcpServers = acpMcpServers(this.spec.mcpServers ?? [], caps?.mcpCapabilities);
    const params: acp.NewSessionRequest = { cwd: this.cwd, mcpServers };
    let refused: OpenedSession['refused'];
    if (storedId && caps?.loadSession) {
      // The history the agent sends again is not the new turn's, even after its answer (replay-filter.ts).
      const replay = new ReplayFilter((await this.opts.storedHistory?.().catch(() => null)) ?? null);
      this.replay = replay;
      const answer = await this.guard.attempt('session/load', () =>
        this.agent().request(acp.methods.agent.session.load, { sessionId: storedId, ...params }),
      );
      if (answer !== REFUSED) {
        replay.loadAnswered();
        return { acpSessionId: storedId, how: 'loaded', answer };
      }
      this.replay = null;
      refused = 'session/load';
    } else if (storedId && caps?.sessionCapabilities?.resume) {
      const answer = await this.guard.attempt('session/resume', () =>
        this.agent().request(acp.methods.agent.session.resume, { sessionId: storedId, ...params }),
      );
      if (answer !== REFUSED) return { acpSessionId: storedId, how: 'resumed', answer };
      refused = 'session/resume';
    }
    // A refusal (Gemini CLI refuses some loads: docs/agents.md) starts afresh, never a stuck conversation.
    const r = await this.guard.call(() => this.agent().request(acp.methods.agent.session.new, params));
    return { acpSessionId: r.sessionId, how: 'new', answer: r, refused };
  }

  /**
   * ACP `authenticate` with one of the methods the agent offered in `initialize`. Signing in may open
   * a browser and wait for a person: `patienceMs` of silence are allowed. Throws the agent's refusal
   * (an AgentFault whose message carries its words).
   */
  async authenticate(methodId: string, patienceMs: number): Promise<void> {
    await this.guard.patient(patienceMs, () =>
      this.guard.call(() => this.agent().request(acp.methods.agent.authenticate, { methodId })),
    );
  }

  /** A session/list, load, resume or fork for src/agent-sessions/, guarded; `patienceMs` for a replay. */
  async request<T>(method: string, params: Record<string, unknown>, patienceMs = START_SILENCE_MS): Promise<T> {
    return this.guard.patient(patienceMs, () => this.guard.call(() => this.agent().request(method, params) as Promise<T>));
  }

  async prompt(blocks: acp.ContentBlock[]): Promise<acp.PromptResponse> {
    const sessionId = this.acpSessionId;
    if (!sessionId) throw new AgentFault('protocol_error', 'No ACP session is open.');
    const adopted = this.adopted;
    this.adopted = null;
    const answer = adopted ? await adopted.resume(true) : null;
    if (answer) return this.guard.call(() => answer.answer.then(promptAnswer));
    this.replay?.promptSent();
    try {
      return await this.guard.call(() =>
        this.agent().request(acp.methods.agent.session.prompt, { sessionId, prompt: blocks }),
      );
    } finally {
      this.replay = null;
    }
  }

  /**
   * Switches the session's mode. True when the agent accepted; false when it refused (the refusal
   * is logged and the conversation's mode reported back as the agent's real one). Throws only an
   * AgentFault that ended the connection.
   */
  async setMode(modeId: string): Promise<boolean> {
    const sessionId = this.acpSessionId;
    if (!sessionId || !this.settings.modes) return false;
    const r = await this.guard.attempt(
      'a mode change',
      () => this.agent().request(acp.methods.agent.session.setMode, { sessionId, modeId }),
      { modeId },
    );
    if (r === REFUSED) {
      this.settings.modeRefused();
      return false;
    }
    const update = this.settings.modeAccepted(modeId);
    if (update) this.onUpdate(update);
    return true;
  }

  /**
   * Sets one of the session's config options. True when the agent accepted (its answer, the full
   * list of options, is recorded as a `config_option_update`); false when it refused or does not
   * offer the option or value (logged). Throws only an AgentFault that ended the connection. The
   * `model` option of an agent that offers models the older way is set with `session/set_model`.
   */
  async setConfigOption(configId: string, value: string): Promise<boolean> {
    const sessionId = this.acpSessionId;
    if (!sessionId) return false;
    const model = this.settings.modelParams(configId, value);
    if (model) {
      const r = await this.guard.attempt(
        'a model change',
        () => this.agent().request('session/set_model', { sessionId, ...model }),
        { configId, value },
      );
      if (r === REFUSED) return false;
      const update = this.settings.modelAccepted(model.modelId);
      if (update) this.onUpdate(update);
      return true;
    }
    const params = this.settings.configParams(configId, value);
    if (!params) return false;
    const r = await this.guard.attempt(
      'a config option change',
      () => this.agent().request(acp.methods.agent.session.setConfigOption, { sessionId, ...params }),
      { configId, value },
    );
    if (r === REFUSED) return false;
    const update = this.settings.configAccepted(configId, value, r);
    if (update) this.onUpdate(update);
    return true;
  }

  /** Replayed output of a turn that outlived a server: true for each event already stored (skipped). */
  takeStored(): boolean {
    const p = this.proc;
    if (!(p instanceof KeptProcess) || p.skip <= 0) return false;
    p.skip--;
    return true;
  }

  /** The server is stopping: let go of a kept agent without stopping it. False when not kept. */
  detach(): boolean {
    if (!(this.proc instanceof KeptProcess)) return false;
    this.stopping = true;
    this.guard.stopWatchdog();
    this.proc.detach();
    return true;
  }

  async cancel(): Promise<void> {
    this.terminals.killAll();
    const sessionId = this.acpSessionId;
    if (!sessionId || !this.conn || !this.alive) return;
    await this.agent()
      .notify(acp.methods.agent.session.cancel, { sessionId })
      .catch(() => {});
  }

  /** Stops the process (used for idle shutdown, faults and server stop). Resolves once reaped. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.guard.stopWatchdog();
    this.terminals.releaseAll();
    this.conn?.close();
    await this.proc?.stop();
  }

  private agent(): acp.ClientContext {
    if (!this.conn) throw new AgentFault('protocol_error', 'The agent connection is not open.');
    return this.conn.agent;
  }

  /** Ends the connection with this fault (first one wins) and kills the process. */
  fail(f: AgentFault): void {
    if (!this.guard.settle(f)) return;
    this.terminals.releaseAll();
    // A misbehaving agent is stopped at once; its exit is awaited by whoever calls stop().
    void this.proc?.kill();
  }

  private onExit(info: ExitInfo): void {
    if (this.stopping || !this.proc) {
      this.fail(new AgentFault('stopped', `The agent "${this.spec.name}" was stopped.`));
      return;
    }
    this.fail(this.proc.describeEnd(info, this.init ? 'turn' : 'start'));
  }

  private onUpdate(params: unknown): void {
    let update = (params as { update?: unknown } | null)?.update;
    if (this.replay?.isReplay(update)) return;
    update = this.settings.onUpdate(update);
    if (this.sink) this.sink.onUpdate(update);
    else this.opts.onIdleUpdate(update);
  }
}

/** The JSON-RPC answer to an adopted session/prompt, as the SDK would have given it. */
function promptAnswer(m: Record<string, unknown>): acp.PromptResponse {
  const err = m.error as { code?: number; message?: string; data?: unknown } | undefined;
  if (err) throw new acp.RequestError(err.code ?? -32603, err.message ?? 'error', err.data);
  return m.result as acp.PromptResponse;
}
