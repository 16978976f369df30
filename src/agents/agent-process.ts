import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { isServerSetting } from '../config.ts';
import { AgentFault, describeExit, stderrHint } from './faults.ts';
import type { AgentSpec } from './types.ts';
import { WatchedProcess } from './watched-process.ts';

// One agent OS process. It runs in its own process group so that stopping it also stops whatever it
// started (shells, language servers, the model CLI behind an adapter). Its stderr is drained always
// (a full pipe would block the agent) and its tail kept for error messages.

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** Set when the process could not be started at all. */
  spawnError?: NodeJS.ErrnoException;
}

const STDERR_TAIL_BYTES = 4096;
const KILL_AFTER_TERM_MS = 2000;

/**
 * The environment an agent starts with: the server's (PATH, HOME, locale, proxies, the agent's API
 * keys) without gmgui's own settings and secrets (GMGUI_TOKEN would let an agent call the API and
 * answer its own permission requests; DATABASE_URL would hand it the database), except those its
 * entry in the agents file names in `passEnv`, plus the entry's own `env`.
 */
export function agentEnv(
  spec: Pick<AgentSpec, 'env' | 'passEnv'>,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const pass = new Set(spec.passEnv ?? []);
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && (pass.has(name) || !isServerSetting(name))) env[name] = value;
  }
  return { ...env, ...spec.env };
}

export class AgentProcess extends WatchedProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<ExitInfo>;

  constructor(
    readonly spec: AgentSpec,
    readonly cwd: string,
    onStderr?: (line: string) => void,
  ) {
    super();
    this.child = spawn(spec.command, spec.args, {
      cwd,
      env: agentEnv(spec),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.exited = new Promise((resolveExit) => {
      this.child.once('error', (err: NodeJS.ErrnoException) => {
        // 'error' without 'exit' happens when spawn itself failed (ENOENT, EACCES).
        if (this.child.pid === undefined) {
          this.exitInfo = { code: null, signal: null, spawnError: err };
          resolveExit(this.exitInfo);
        }
      });
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolveExit(this.exitInfo);
      });
    });
    // A dead agent's pipes error with EPIPE/ECONNRESET: the exit is reported elsewhere.
    this.child.stdin.on('error', () => {});
    this.child.stdout.on('error', () => {});
    this.child.stderr.on('error', () => {});
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.tail = (this.tail + chunk).slice(-STDERR_TAIL_BYTES);
      if (onStderr) for (const line of chunk.split('\n')) if (line.trim()) onStderr(line);
    });
  }

  /** The sentence for a process that ended (or never started) while we needed it. */
  describeEnd(info: ExitInfo, phase: 'start' | 'turn' | 'idle'): AgentFault {
    return describeAgentEnd(this.spec, this.cwd, this.tail, info, phase);
  }

  /** Asks politely (stdin closed, SIGTERM to the group), then insists. Resolves once reaped. */
  async stop(): Promise<void> {
    if (!this.alive || this.child.pid === undefined) return;
    this.child.stdin.end();
    this.signalGroup('SIGTERM');
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), KILL_AFTER_TERM_MS);
    await this.exited;
    clearTimeout(timer);
    // The leader is gone; make sure nothing it started lingers in its group.
    this.signalGroup('SIGKILL');
  }

  kill(): Promise<void> {
    this.signalGroup('SIGKILL');
    return this.exited.then(() => undefined);
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // Group already gone (ESRCH): nothing to stop.
    }
  }
}

/** The sentence for an agent process that ended (or never started) while we needed it; also for kept agents (keeper/). */
export function describeAgentEnd(
  spec: Pick<AgentSpec, 'name' | 'command'>,
  cwd: string,
  tail: string,
  info: ExitInfo,
  phase: 'start' | 'turn' | 'idle',
): AgentFault {
  const name = spec.name;
  const hint = stderrHint(tail);
  if (info.spawnError) {
    // Node reports a missing working folder as ENOENT too, naming the program: tell them apart.
    if (info.spawnError.code === 'ENOENT' && !existsSync(cwd)) {
      return new AgentFault(
        'missing_folder',
        `The agent "${name}" could not be started: the conversation's folder ${cwd} does not exist on ${hostname()}.`,
      );
    }
    if (info.spawnError.code === 'ENOENT') {
      return new AgentFault(
        'missing_binary',
        `The agent "${name}" could not be started: the program "${spec.command}" was not found. Install it or fix its command in the agents file.`,
      );
    }
    return new AgentFault(
      'spawn_failed',
      `The agent "${name}" could not be started (${info.spawnError.code ?? info.spawnError.message}).`,
    );
  }
  const how = describeExit(info.code, info.signal);
  if (phase === 'start') {
    return new AgentFault('exited_at_start', `The agent "${name}" ${how} right after starting.${hint}`);
  }
  return new AgentFault(
    'crashed',
    `The agent "${name}" stopped unexpectedly (it ${how}) during the turn.${hint}`,
  );
}
