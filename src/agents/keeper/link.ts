import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentFault } from '../faults.ts';
import { type ExitInfo, describeAgentEnd } from '../agent-process.ts';
import { WatchedProcess } from '../watched-process.ts';
import type { AgentSpec } from '../types.ts';
import {
  type KeeperSays,
  type KeeperSpec,
  type JsonRpcId,
  idKey,
  isControl,
  KEEPER_PROTOCOL,
  keeperPaths,
  lineSplitter,
} from './protocol.ts';
import type { Adoption, KeeperSettings } from './settings.ts';

// The server's side of a keeper (docs/DESIGN.md "Process model"): an agent process as AgentHost sees
// it (src/agents/agent-process.ts), whose stdio is the keeper's socket. A fresh agent gets a fresh
// keeper; a conversation whose keeper outlived the last server is attached again. Until `resume`, the
// keeper holds back what the agent says, so nothing reaches the host before its turn listens. Lines
// replayed from the spool are filtered here: answers to a dead server's requests are dropped, except
// the one to the adopted prompt, which resolves `adoptedAnswer`; requests the dead server already
// answered are dropped, those still unanswered go to the ACP connection to be served again.

const START_TIMEOUT_MS = 10_000;

type Json = Record<string, unknown>;

export class KeptProcess extends WatchedProcess {
  readonly child: { pid: number | undefined; stdout: PassThrough; stdin: Writable };
  readonly exited: Promise<ExitInfo>;
  /** What the keeper knew when we attached: the agent's `initialize` answer and ACP session. */
  readonly init: unknown;
  readonly acpSessionId: string | null;
  /** For a turn that outlived a server: its stored output events, which the replay skips. */
  skip = 0;
  private onExitInfo: (i: ExitInfo) => void = () => {};
  private replaying = false;
  private promptId: string | null = null;
  private pendingAgent = new Set<string>();
  private answer: ((m: Json) => void) | null = null;
  private replayed: (() => void) | null = null;
  /** Detached: the server lets go; stop and kill leave the agent to its keeper. */
  private stopping = false;

  private constructor(
    private readonly socket: Socket,
    hello: Extract<KeeperSays, { keeper: 'hello' }>,
    private readonly spec: AgentSpec,
    private readonly cwd: string,
    readonly adoption: Adoption | null,
  ) {
    super();
    this.init = hello.init;
    this.acpSessionId = hello.acpSessionId;
    const stdout = new PassThrough();
    stdout.on('drain', () => socket.resume());
    const stdin = new Writable({
      write: (chunk, _enc, cb) => {
        if (socket.destroyed) return cb();
        socket.write(chunk, () => cb());
      },
    });
    this.child = { pid: hello.agentPid ?? undefined, stdout, stdin };
    this.exited = new Promise((r) => {
      this.onExitInfo = r;
    });
  }

  /** Connects to a keeper's socket and waits for its hello. */
  static async attach(
    sock: string,
    spec: AgentSpec,
    cwd: string,
    adoption: Adoption | null,
  ): Promise<KeptProcess> {
    const socket = connect(sock);
    await new Promise<void>((ok, fail) => {
      socket.once('connect', ok);
      socket.once('error', fail);
    });
    return new Promise((ok, fail) => {
      let kp: KeptProcess | null = null;
      const early: string[] = [];
      socket.on(
        'data',
        lineSplitter((line) => {
          if (kp) return kp.route(line);
          let m: KeeperSays | null = null;
          try {
            m = JSON.parse(line) as KeeperSays;
          } catch {
            // Not a keeper's hello: waited for below.
          }
          if (m?.keeper !== 'hello') return early.push(line);
          if (m.version !== KEEPER_PROTOCOL) {
            socket.destroy();
            return fail(
              new AgentFault(
                'spawn_failed',
                `The keeper of "${spec.name}" speaks another protocol (${m.version}).`,
              ),
            );
          }
          kp = new KeptProcess(socket, m, spec, cwd, adoption);
          for (const l of early) kp.route(l);
          ok(kp);
        }),
      );
      socket.on('error', () => {});
      socket.on('close', () => {
        if (kp) kp.ended({ code: null, signal: 'SIGKILL' });
        else fail(new AgentFault('spawn_failed', `The keeper of "${spec.name}" closed before saying hello.`));
      });
    });
  }

  /**
   * Lets the agent's words through. For a turn that outlived a server, the spool is replayed first;
   * resolves with the awaitable answer to the adopted prompt (null when there is none).
   */
  async resume(replay: boolean): Promise<{ answer: Promise<Json> } | null> {
    const replayedHeader = new Promise<void>((r) => {
      this.replayed = r;
    });
    const answer = new Promise<Json>((r) => {
      this.answer = r;
    });
    this.socket.write(`${JSON.stringify({ keeper: 'resume', replay })}\n`);
    if (!replay) return null;
    await Promise.race([replayedHeader, this.exited]);
    return this.promptId ? { answer } : null;
  }

  private route(line: string): void {
    let m: Json | null = null;
    try {
      m = JSON.parse(line) as Json;
    } catch {
      // Not JSON: the transport reports it (src/agents/stdio-transport.ts).
    }
    if (m && isControl(m)) {
      this.control(m as unknown as KeeperSays);
      return;
    }
    if (m && m.id !== undefined && m.id !== null) {
      const isRequest = typeof m.method === 'string';
      if (!isRequest && typeof m.id === 'string' && /^k\d+\./.test(m.id)) {
        // An answer to a request of a server that is gone: only the adopted prompt's matters.
        if (m.id === this.promptId) this.answer?.(m);
        return;
      }
      if (isRequest && this.replaying && !this.pendingAgent.has(idKey(m.id))) return;
    }
    // The host pauses its reading when the store falls behind: the keeper (and the agent) wait too.
    if (!this.child.stdout.write(`${line}\n`)) this.socket.pause();
  }

  private control(c: KeeperSays): void {
    if (c.keeper === 'replay') {
      this.replaying = true;
      this.promptId = c.prompt;
      this.pendingAgent = new Set(c.pendingAgent.map((id: JsonRpcId) => idKey(id)));
      this.replayed?.();
    } else if (c.keeper === 'live') {
      this.replaying = false;
    } else if (c.keeper === 'exit') {
      this.tail = c.stderrTail;
      const spawnError = c.spawnError
        ? Object.assign(new Error(c.spawnError), { code: c.spawnError })
        : undefined;
      this.ended({ code: c.code, signal: c.signal, ...(spawnError ? { spawnError } : {}) });
    }
  }

  private ended(info: ExitInfo): void {
    if (this.exitInfo) return;
    this.exitInfo = info;
    this.child.stdout.end();
    this.onExitInfo(info);
  }

  describeEnd(info: ExitInfo, phase: 'start' | 'turn' | 'idle'): AgentFault {
    return describeAgentEnd(this.spec, this.cwd, this.tail, info, phase);
  }

  /** Asks the keeper to stop the agent; resolves once it has gone. */
  async stop(): Promise<void> {
    if (!this.alive || this.stopping) return;
    if (!this.socket.destroyed) this.socket.write(`${JSON.stringify({ keeper: 'stop' })}\n`);
    const t = setTimeout(() => this.killGroup(), 5000);
    await this.exited;
    clearTimeout(t);
  }

  kill(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    this.killGroup();
    return this.exited.then(() => undefined);
  }

  /** Lets go of the agent without stopping it (the server is stopping; the keeper keeps it). */
  detach(): void {
    this.stopping = true;
    this.socket.destroy();
  }

  private killGroup(): void {
    if (this.pid === undefined) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

/** Starts a keeper (and through it the agent) for one conversation, and attaches to it. */
export async function launchKeeper(
  s: KeeperSettings,
  o: { spec: AgentSpec; cwd: string; conversationId: string; env: NodeJS.ProcessEnv },
): Promise<KeptProcess> {
  mkdirSync(s.dir, { recursive: true, mode: 0o700 });
  // Owner-only whatever made it: the sockets in it drive the agents.
  chmodSync(s.dir, 0o700);
  const id = randomBytes(6).toString('hex');
  const paths = keeperPaths(s.dir, id);
  const keeperSpec: KeeperSpec = {
    id,
    dir: s.dir,
    command: o.spec.command,
    args: o.spec.args,
    cwd: o.cwd,
    conversationId: o.conversationId,
    agentId: o.spec.id,
    idleMs: s.idleMs,
    maxSpoolBytes: s.maxSpoolBytes,
    maxLineBytes: s.maxLineBytes,
  };
  writeFileSync(paths.spec, JSON.stringify(keeperSpec), { mode: 0o600 });
  const log = openSync(paths.log, 'a', 0o600);
  const [cmd, ...args] = s.command;
  // Its own session (detached): a signal to the server's process group does not reach it.
  const child = spawn(cmd, [...args, paths.spec], {
    detached: true,
    stdio: ['ignore', log, log],
    env: o.env,
  });
  closeSync(log);
  child.unref();
  let gone = false;
  child.once('exit', () => {
    gone = true;
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (existsSync(paths.sock)) {
      try {
        return await KeptProcess.attach(paths.sock, o.spec, o.cwd, null);
      } catch {
        // Listening not yet: try again.
      }
    }
    if (gone || Date.now() > deadline)
      throw new AgentFault(
        'spawn_failed',
        `The agent "${o.spec.name}" could not be started (its keeper failed; see ${paths.log}).`,
      );
    await sleep(20);
  }
}
