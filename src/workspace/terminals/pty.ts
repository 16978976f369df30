import { accessSync, constants } from 'node:fs';
import { agentEnv } from '../../agents/agent-process.ts';
import { workspaceErrors } from '../errors.ts';

// The pseudo-terminal library (node-pty, an optional dependency: a server without it simply has no
// terminals) and the shell a terminal runs.

export interface Pty {
  readonly pid: number;
  onData(listener: (data: string) => void): unknown;
  onExit(listener: (e: { exitCode: number; signal?: number }) => void): unknown;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  kill(signal?: string): void;
}

interface PtyModule {
  spawn(
    file: string,
    args: string[],
    opts: { name: string; cols: number; rows: number; cwd: string; env: NodeJS.ProcessEnv },
  ): Pty;
}

let loaded: Promise<PtyModule | string> | null = null;

/** node-pty, or why it cannot be used (loaded once). */
function ptyModule(): Promise<PtyModule | string> {
  loaded ??= import('node-pty').then(
    (m) => ((m as { spawn?: unknown }).spawn ? m : (m as unknown as { default: PtyModule }).default) as PtyModule,
    (err: Error) => `the node-pty package is not installed (${err.message.split('\n')[0]}).`,
  );
  return loaded;
}

const executable = (file: string) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** $SHELL when it is a program, else bash, else sh. */
export function shellProgram(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.SHELL, '/bin/bash', '/usr/bin/bash', '/bin/sh'];
  return candidates.find((c): c is string => !!c && c.startsWith('/') && executable(c)) ?? '/bin/sh';
}

/** The environment of a terminal's shell: the agents' one (no token, no database settings), plus TERM. */
export function terminalEnv(): NodeJS.ProcessEnv {
  return { ...agentEnv({ env: {} }), TERM: 'xterm-256color', COLORTERM: 'truecolor' };
}

/** Starts `shell` on a new pseudo-terminal in `cwd`; 503 terminal_unavailable when it cannot. */
export async function spawnShell(shell: string, cwd: string, cols: number, rows: number): Promise<Pty> {
  const mod = await ptyModule();
  if (typeof mod === 'string') throw workspaceErrors.terminalUnavailable(mod);
  try {
    return mod.spawn(shell, [], { name: 'xterm-256color', cols, rows, cwd, env: terminalEnv() });
  } catch (err) {
    throw workspaceErrors.terminalUnavailable(`${shell} did not start (${(err as Error).message}).`);
  }
}
