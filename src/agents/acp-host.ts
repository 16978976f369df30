import * as acp from '@agentclientprotocol/sdk';
import { AgentProcess, type ExitInfo } from './agent-process.ts';
import { AgentFault } from './faults.ts';
import { FolderAccess, FsDenied } from './fs-access.ts';
import type { AgentLog } from './log.ts';
import type { SessionConfigInfo } from '../domain/types.ts';
import { configParams, parseConfigOptions } from './config-options.ts';
import { type AgentModes, parseModes } from './modes.ts';
import { type StdioTransport, stdioTransport } from './stdio-transport.ts';
import type { AgentSpec } from './types.ts';
import { isHistoryReplay } from './update-mapper.ts';

// One agent process and its ACP connection, serving one conversation (one ACP session). Every wait
// on the agent is raced against `faulted`, which settles on the first sign of trouble: the process
// ended, wrote garbage, flooded, or fell silent while it owed us an answer.

/** Where a running turn receives what the agent sends. Set by the runner for the length of a turn. */
export interface TurnSink {
  onUpdate(update: unknown): void;
  requestPermission(params: acp.RequestPermissionRequest): Promise<acp.RequestPermissionResponse>;
}

export interface HostOptions {
  spec: AgentSpec;
  conversationId: string;
  cwd: string;
  roots: string[];
  log: AgentLog;
  silenceMs: number;
  maxMessageBytes: number;
  /** Updates that arrive when no turn is running (e.g. available commands after a turn ended). */
  onIdleUpdate(update: unknown): void;
  /**
   * The agent's mode changed after its session opened (it switched by itself, or accepted or refused
   * a `session/set_mode`), so the conversation's remembered mode can follow it.
   */
  onModeReport?(modeId: string): void;
  /** The agent's config options changed after its session opened (an update or a set answer). */
  onConfigReport?(options: SessionConfigInfo[]): void;
}

export interface OpenedSession {
  acpSessionId: string;
  how: 'new' | 'loaded' | 'resumed';
  modes: AgentModes | null;
  /** The session's configuration options (ACP `configOptions`), shown to clients; null when none. */
  configOptions: unknown[] | null;
}

const CLIENT_INFO = { name: 'gmgui', version: '0.1.0' };
const START_SILENCE_MS = 30_000;
/** How long to wait for the exit status after the agent's output closed, to report the real cause. */
const EXIT_REPORT_MS = 1500;

export class AgentHost {
  readonly spec: AgentSpec;
  readonly conversationId: string;
  readonly cwd: string;
  init: acp.InitializeResponse | null = null;
  acpSessionId: string | null = null;
  /** The session's modes as last known: from opening it, then its mode updates and set_mode answers. */
  modes: AgentModes | null = null;
  /** The session's config options as last known: from opening it, then updates and set answers. */
  configOptions: SessionConfigInfo[] = [];
  sink: TurnSink | null = null;
  fault: AgentFault | null = null;
  readonly faulted: Promise<AgentFault>;

  private proc: AgentProcess | null = null;
  private transport: StdioTransport | null = null;
  private conn: acp.ClientConnection | null = null;
  private folder: FolderAccess | null = null;
  private settleFault!: (f: AgentFault) => void;
  private stopping = false;
  private replaying = false;
  /** While the session opens, its answer (not the updates before it) says which mode it is in. */
  private opening = false;
  private busy = 0;
  private waitingOnUser = 0;
  private lastActivity = Date.now();
  private silenceLimit: number;
  private watchdog: NodeJS.Timeout | null = null;

  constructor(private readonly opts: HostOptions) {
    this.spec = opts.spec;
    this.conversationId = opts.conversationId;
    this.cwd = opts.cwd;
    this.silenceLimit = opts.silenceMs;
    this.faulted = new Promise((r) => {
      this.settleFault = r;
    });
  }

  get pid(): number | undefined {
    return this.proc?.pid;
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
    const proc = new AgentProcess(this.spec, this.cwd, (line) =>
      this.opts.log.debug({ agent: this.spec.id, conversationId: this.conversationId, line }, 'agent stderr'),
    );
    this.proc = proc;
    proc.exited.then((info) => this.onExit(info));
    if (proc.child.pid === undefined) {
      // spawn failed synchronously-ish (ENOENT arrives as an 'error' event); wait for it.
      await this.faulted;
      throw this.fault;
    }
    this.transport = stdioTransport(
      this.spec.name,
      proc.child.stdout,
      proc.child.stdin,
      {
        onUpdate: (params) => this.onUpdate(params),
        onActivity: () => {
          this.lastActivity = Date.now();
        },
        onFault: (f) => this.fail(f),
      },
      { maxMessageBytes: this.opts.maxMessageBytes },
    );
    this.conn = this.clientApp().connect(this.transport.stream);
    this.watchdog = setInterval(
      () => this.checkSilence(),
      Math.max(50, Math.min(1000, this.opts.silenceMs / 4)),
    );
    this.watchdog.unref();
    const request: acp.InitializeRequest = {
      protocolVersion: acp.PROTOCOL_VERSION,
      clientCapabilities: { fs: { readTextFile: true, writeTextFile: true }, terminal: false },
      clientInfo: CLIENT_INFO,
    };
    // Starting (a runtime loading, an adapter spawning its CLI) may legitimately take longer than
    // the silence allowed mid-turn.
    this.silenceLimit = Math.max(this.opts.silenceMs, START_SILENCE_MS);
    const init = await this.call(() => this.agent().request(acp.methods.agent.initialize, request));
    this.silenceLimit = this.opts.silenceMs;
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
    this.silenceLimit = Math.max(this.opts.silenceMs, START_SILENCE_MS);
    this.opening = true;
    try {
      const opened = await this.openSessionNow(storedId);
      this.modes = opened.modes;
      this.configOptions = parseConfigOptions(opened.configOptions);
      return opened;
    } finally {
      this.opening = false;
      this.silenceLimit = this.opts.silenceMs;
    }
  }

  private async openSessionNow(storedId: string | null): Promise<OpenedSession> {
    const caps = this.init?.agentCapabilities;
    if (storedId && caps?.loadSession) {
      this.replaying = true;
      try {
        const r = await this.call(() =>
          this.agent().request(acp.methods.agent.session.load, {
            sessionId: storedId,
            cwd: this.cwd,
            mcpServers: [],
          }),
        );
        this.acpSessionId = storedId;
        return { acpSessionId: storedId, how: 'loaded', ...sessionState(r) };
      } catch (err) {
        if (err instanceof AgentFault) throw err;
        this.opts.log.warn(
          { agent: this.spec.id, err: String(err) },
          'session/load refused; starting a new ACP session',
        );
      } finally {
        this.replaying = false;
      }
    } else if (storedId && caps?.sessionCapabilities?.resume) {
      try {
        const r = await this.call(() =>
          this.agent().request(acp.methods.agent.session.resume, {
            sessionId: storedId,
            cwd: this.cwd,
            mcpServers: [],
          }),
        );
        this.acpSessionId = storedId;
        return { acpSessionId: storedId, how: 'resumed', ...sessionState(r) };
      } catch (err) {
        if (err instanceof AgentFault) throw err;
        this.opts.log.warn(
          { agent: this.spec.id, err: String(err) },
          'session/resume refused; starting a new ACP session',
        );
      }
    }
    const r = await this.call(() =>
      this.agent().request(acp.methods.agent.session.new, { cwd: this.cwd, mcpServers: [] }),
    );
    this.acpSessionId = r.sessionId;
    return { acpSessionId: r.sessionId, how: 'new', ...sessionState(r) };
  }

  async prompt(blocks: acp.ContentBlock[]): Promise<acp.PromptResponse> {
    const sessionId = this.acpSessionId;
    if (!sessionId) throw new AgentFault('protocol_error', 'No ACP session is open.');
    return this.call(() =>
      this.agent().request(acp.methods.agent.session.prompt, { sessionId, prompt: blocks }),
    );
  }

  /**
   * Switches the session's mode. True when the agent accepted; false when it refused (the refusal
   * is logged and the conversation's mode reported back as the agent's real one). Throws only an
   * AgentFault that ended the connection.
   */
  async setMode(modeId: string): Promise<boolean> {
    const sessionId = this.acpSessionId;
    const modes = this.modes;
    if (!sessionId || !modes) return false;
    try {
      await this.call(() => this.agent().request(acp.methods.agent.session.setMode, { sessionId, modeId }));
    } catch (err) {
      if (this.fault) throw this.fault;
      this.opts.log.warn(
        { agent: this.spec.id, conversationId: this.conversationId, modeId, err: String(err) },
        'the agent refused a mode change',
      );
      if (this.modes) this.opts.onModeReport?.(this.modes.currentModeId);
      return false;
    }
    // ACP lets an agent accept set_mode without a current_mode_update; record the change as if it
    // had sent one, so the log (and every client) always shows the mode the agent is in.
    if (this.modes?.currentModeId !== modeId) {
      this.onUpdate({ update: { sessionUpdate: 'current_mode_update', currentModeId: modeId } });
    }
    return true;
  }

  /**
   * Sets one of the session's config options. True when the agent accepted (its answer, the full
   * list of options, is recorded as a `config_option_update`); false when it refused or does not
   * offer the option or value (logged). Throws only an AgentFault that ended the connection.
   */
  async setConfigOption(configId: string, value: string): Promise<boolean> {
    const sessionId = this.acpSessionId;
    const option = this.configOptions.find((o) => o.id === configId);
    if (!sessionId || !option?.values.includes(value)) return false;
    let r: { configOptions?: unknown };
    try {
      r = await this.call(() =>
        this.agent().request(acp.methods.agent.session.setConfigOption, {
          sessionId,
          ...configParams(option, value),
        }),
      );
    } catch (err) {
      if (this.fault) throw this.fault;
      this.opts.log.warn(
        { agent: this.spec.id, conversationId: this.conversationId, configId, value, err: String(err) },
        'the agent refused a config option change',
      );
      return false;
    }
    const configOptions = Array.isArray(r?.configOptions)
      ? r.configOptions
      : // No list in the answer: the option took the value.
        null;
    if (configOptions) this.onUpdate({ update: { sessionUpdate: 'config_option_update', configOptions } });
    else {
      this.configOptions = this.configOptions.map((o) =>
        o.id === configId ? { ...o, currentValue: value } : o,
      );
      this.opts.onConfigReport?.(this.configOptions);
    }
    return true;
  }

  async cancel(): Promise<void> {
    const sessionId = this.acpSessionId;
    if (!sessionId || !this.conn || !this.alive) return;
    await this.agent()
      .notify(acp.methods.agent.session.cancel, { sessionId })
      .catch(() => {});
  }

  /** Stops the process (used for idle shutdown, faults and server stop). Resolves once reaped. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    this.conn?.close();
    await this.proc?.stop();
  }

  /** Makes a request, counting it as work the agent owes us (silence watchdog), raced with faults. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
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
          throw toAgentFault(this.spec.name, err);
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

  private agent(): acp.ClientContext {
    if (!this.conn) throw new AgentFault('protocol_error', 'The agent connection is not open.');
    return this.conn.agent;
  }

  /** Ends the connection with this fault (first one wins) and kills the process. */
  fail(f: AgentFault): void {
    if (this.fault) return;
    this.fault = f;
    this.settleFault(f);
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
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

  private checkSilence(): void {
    if (this.fault || this.busy === 0 || this.waitingOnUser > 0) return;
    const quiet = Date.now() - this.lastActivity;
    if (quiet <= this.silenceLimit) return;
    const secs = Math.round(this.opts.silenceMs / 100) / 10;
    this.fail(
      new AgentFault(
        'silent',
        `The agent "${this.spec.name}" sent nothing for ${secs} s while it was supposed to be working, so gmgui stopped it.`,
      ),
    );
  }

  private onUpdate(params: unknown): void {
    let update = (params as { update?: unknown } | null)?.update;
    if (this.replaying && isHistoryReplay(update)) return;
    if (isModeUpdate(update)) update = this.noteModeUpdate(update);
    else if (isConfigUpdate(update) && !this.opening) {
      this.configOptions = parseConfigOptions(update.configOptions);
      this.opts.onConfigReport?.(this.configOptions);
    }
    if (this.sink) this.sink.onUpdate(update);
    else this.opts.onIdleUpdate(update);
  }

  /**
   * Tracks the current mode and completes the update with the list of modes, so that every stored
   * `mode` event tells a client both what the agent is in and what it could switch to.
   */
  private noteModeUpdate(update: ModeUpdate): ModeUpdate {
    const modes = this.modes;
    if (this.opening || !modes || typeof update.currentModeId !== 'string') return update;
    const changed = modes.currentModeId !== update.currentModeId;
    this.modes = { ...modes, currentModeId: update.currentModeId };
    if (changed) this.opts.onModeReport?.(update.currentModeId);
    return Array.isArray(update.availableModes)
      ? update
      : { ...update, availableModes: modes.availableModes };
  }

  private clientApp(): acp.ClientApp {
    return acp
      .client({ name: 'gmgui' })
      .onRequest(acp.methods.client.session.requestPermission, async ({ params }) => {
        const sink = this.sink;
        if (!sink) return { outcome: { outcome: 'cancelled' } };
        this.waitingOnUser++;
        try {
          return await sink.requestPermission(params);
        } finally {
          this.waitingOnUser--;
          this.lastActivity = Date.now();
        }
      })
      .onRequest(acp.methods.client.fs.readTextFile, async ({ params }) => {
        const folder = this.checkFs(params.sessionId);
        try {
          return { content: await folder.readTextFile(params.path, params.line, params.limit) };
        } catch (err) {
          throw fsError(err);
        }
      })
      .onRequest(acp.methods.client.fs.writeTextFile, async ({ params }) => {
        const folder = this.checkFs(params.sessionId);
        try {
          await folder.writeTextFile(params.path, params.content);
          return {};
        } catch (err) {
          throw fsError(err);
        }
      })
      .onNotification('*', ({ method }) => {
        // Extension notifications (`_vendor/...`) carry nothing we store; noted for debugging.
        this.opts.log.debug({ agent: this.spec.id, method }, 'agent notification ignored');
      });
  }

  private checkFs(sessionId: string): FolderAccess {
    if (!this.folder) {
      throw acp.RequestError.invalidParams(
        undefined,
        'The conversation folder is outside the allowed roots.',
      );
    }
    if (this.acpSessionId && sessionId !== this.acpSessionId)
      throw acp.RequestError.sessionNotFound(sessionId);
    return this.folder;
  }
}

/** What a session/new, session/load or session/resume answer says about the session's state. */
function sessionState(r: unknown): Pick<OpenedSession, 'modes' | 'configOptions'> {
  const o = (r ?? {}) as { modes?: unknown; configOptions?: unknown };
  return {
    modes: parseModes(o.modes),
    configOptions: Array.isArray(o.configOptions) && o.configOptions.length ? o.configOptions : null,
  };
}

interface ModeUpdate {
  sessionUpdate: 'current_mode_update';
  currentModeId?: unknown;
  availableModes?: unknown;
  [field: string]: unknown;
}

function isConfigUpdate(update: unknown): update is { configOptions?: unknown } {
  return (
    typeof update === 'object' &&
    update !== null &&
    (update as { sessionUpdate?: unknown }).sessionUpdate === 'config_option_update'
  );
}

function isModeUpdate(update: unknown): update is ModeUpdate {
  return (
    typeof update === 'object' &&
    update !== null &&
    (update as { sessionUpdate?: unknown }).sessionUpdate === 'current_mode_update'
  );
}

function fsError(err: unknown): acp.RequestError {
  if (err instanceof FsDenied) return acp.RequestError.invalidParams({ reason: err.message }, err.message);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return acp.RequestError.resourceNotFound();
  return acp.RequestError.internalError(undefined, code ?? String(err));
}

/** An error answer from the agent (or a broken response) in words a user understands. */
function toAgentFault(name: string, err: unknown): AgentFault {
  if (err instanceof AgentFault) return err;
  if (err instanceof acp.RequestError) {
    const detail =
      typeof err.data === 'object' && err.data && 'details' in err.data
        ? ` (${String((err.data as { details: unknown }).details)})`
        : '';
    return new AgentFault('agent_error', `The agent "${name}" reported an error: ${err.message}${detail}`);
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new AgentFault(
    'protocol_error',
    `The agent "${name}" answered in a way gmgui could not understand: ${msg}`,
  );
}
