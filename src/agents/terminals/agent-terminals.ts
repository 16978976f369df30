import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import * as acp from '@agentclientprotocol/sdk';
import { resolveInside } from '../../domain/paths.ts';
import type { OutputEventBody } from '../../domain/events.ts';
import { keepTail } from './output-tail.ts';

// The commands an agent runs through its client (ACP terminal/create, output, wait_for_exit, kill,
// release), one set per agent connection. A command runs without a shell (the agent passes one as
// `command` when it wants one), in the conversation's folder or a folder inside it, with the agent's
// scrubbed environment (agent-process.ts agentEnv) plus what the agent asks for, in its own process
// group so that killing it kills what it started. What it prints is kept for terminal/output (the
// last `outputByteLimit` bytes, at most MAX_KEPT_BYTES) and streamed into the turn's log as
// `terminal_output` events, then `terminal_exit` (CONTRACT section 11). A turn's end and a cancel
// kill what still runs; releasing (or the agent process stopping) forgets it.

/** At most this much of a command's output is kept for terminal/output, whatever the agent asks. */
export const MAX_KEPT_BYTES = 1024 * 1024;
/** At most this much of one command's output goes into the log; the rest is only kept (above). */
export const MAX_STREAMED_BYTES = 8 * 1024 * 1024;
/** Commands one agent connection may hold at once (not yet released). */
export const MAX_TERMINALS = 16;
/** Output is gathered this long (or up to FLUSH_BYTES) before it becomes one event. */
const FLUSH_MS = 40;
const FLUSH_BYTES = 16 * 1024;
/** After the process exits, how long its pipes may stay open (a child holding them) before we report. */
const CLOSE_GRACE_MS = 500;

export interface TerminalHost {
  /** The real path of the conversation folder; null when the agent may not run commands there. */
  folder(): string | null;
  /** The environment a command starts with (the agent's, scrubbed). */
  env(): NodeJS.ProcessEnv;
  /** The running turn takes the output events; without one they are not stored. */
  emit(e: OutputEventBody): void;
}

type ExitStatus = { exitCode: number | null; signal: string | null };

class Terminal {
  output = '';
  truncated = false;
  status: ExitStatus | null = null;
  readonly exited: Promise<ExitStatus>;
  private pending = '';
  private timer: NodeJS.Timeout | null = null;
  private streamed = 0;
  private settle!: (s: ExitStatus) => void;

  constructor(
    readonly id: string,
    readonly child: ChildProcess,
    private readonly limit: number,
    private readonly emit: (e: OutputEventBody) => void,
  ) {
    this.exited = new Promise((r) => {
      this.settle = r;
    });
    for (const stream of [child.stdout, child.stderr]) {
      const decoder = new StringDecoder('utf8');
      stream?.on('data', (b: Buffer) => this.take(decoder.write(b)));
      stream?.on('end', () => this.take(decoder.end()));
      stream?.on('error', () => {});
    }
    let closed = false;
    child.once('close', () => {
      closed = true;
    });
    child.once('exit', (code, signal) => {
      const status = { exitCode: code, signal };
      // Let the pipes drain (the last output comes after the exit event), but not forever.
      const done = () => this.finish(status);
      if (closed) done();
      else {
        const t = setTimeout(done, CLOSE_GRACE_MS);
        child.once('close', () => {
          clearTimeout(t);
          done();
        });
      }
    });
  }

  private take(text: string): void {
    if (!text) return;
    const kept = keepTail(this.output + text, this.limit);
    this.output = kept.text;
    if (kept.cut) this.truncated = true;
    if (this.streamed >= MAX_STREAMED_BYTES) return;
    const room = MAX_STREAMED_BYTES - this.streamed;
    const piece =
      Buffer.byteLength(text) <= room
        ? text
        : `${text.slice(0, room)}\n[gmgui: the rest of this output is not shown]\n`;
    this.streamed += Buffer.byteLength(piece);
    this.pending += piece;
    if (this.pending.length >= FLUSH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending) return;
    const data = this.pending;
    this.pending = '';
    this.emit({ type: 'terminal_output', terminalId: this.id, data });
  }

  private finish(status: ExitStatus): void {
    if (this.status) return;
    this.flush();
    this.status = status;
    this.emit({ type: 'terminal_exit', terminalId: this.id, ...status });
    this.settle(status);
  }

  /** Kills the command and everything it started (its process group). */
  kill(): void {
    if (this.status || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export class AgentTerminals {
  private readonly terminals = new Map<string, Terminal>();

  constructor(private readonly host: TerminalHost) {}

  async create(p: acp.CreateTerminalRequest): Promise<acp.CreateTerminalResponse> {
    const folder = this.host.folder();
    if (!folder)
      throw acp.RequestError.invalidParams(
        undefined,
        'The conversation folder is outside the allowed roots.',
      );
    if (this.terminals.size >= MAX_TERMINALS)
      throw acp.RequestError.invalidParams(
        undefined,
        `At most ${MAX_TERMINALS} terminals at once: release one first.`,
      );
    if (typeof p.command !== 'string' || !p.command || p.command.includes('\0'))
      throw acp.RequestError.invalidParams(undefined, 'A command is required.');
    const cwd = await this.cwdOf(p.cwd ?? null, folder);
    const env = { ...this.host.env() };
    for (const v of p.env ?? [])
      if (typeof v?.name === 'string' && typeof v.value === 'string') env[v.name] = v.value;
    const asked =
      typeof p.outputByteLimit === 'number' && p.outputByteLimit >= 0 ? p.outputByteLimit : MAX_KEPT_BYTES;
    const child = spawn(p.command, Array.isArray(p.args) ? p.args.map(String) : [], {
      cwd,
      env,
      shell: false,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          acp.RequestError.internalError(undefined, `Could not run ${p.command}: ${err.code ?? err.message}`),
        ),
      );
    });
    const id = `term_${randomUUID()}`;
    this.terminals.set(
      id,
      new Terminal(id, child, Math.min(asked, MAX_KEPT_BYTES), (e) => this.host.emit(e)),
    );
    return { terminalId: id };
  }

  output(terminalId: string): acp.TerminalOutputResponse {
    const t = this.get(terminalId);
    return { output: t.output, truncated: t.truncated, exitStatus: t.status };
  }

  async waitForExit(terminalId: string): Promise<acp.WaitForTerminalExitResponse> {
    return this.get(terminalId).exited;
  }

  kill(terminalId: string): void {
    this.get(terminalId).kill();
  }

  release(terminalId: string): void {
    const t = this.get(terminalId);
    t.kill();
    this.terminals.delete(terminalId);
  }

  /** A turn ended or was cancelled: what still runs is killed (the agent may still read its output). */
  killAll(): void {
    for (const t of this.terminals.values()) t.kill();
  }

  /** The agent process is stopping: everything is killed and forgotten. */
  releaseAll(): void {
    this.killAll();
    this.terminals.clear();
  }

  private get(terminalId: string): Terminal {
    const t = this.terminals.get(terminalId);
    if (!t) throw acp.RequestError.resourceNotFound(terminalId);
    return t;
  }

  private async cwdOf(asked: string | null, folder: string): Promise<string> {
    if (asked === null || asked === '') return folder;
    if (typeof asked !== 'string' || !isAbsolute(asked) || asked.includes('\0'))
      throw acp.RequestError.invalidParams(
        undefined,
        `The working folder must be an absolute path: ${asked}`,
      );
    const r = await resolveInside(asked, [folder]).catch(() => null);
    if (!r?.stat?.isDirectory())
      throw acp.RequestError.invalidParams(
        undefined,
        `The working folder ${asked} is not a folder inside the conversation folder ${folder}.`,
      );
    return r.real;
  }
}
