import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { agentEnv } from '../../agents/agent-process.ts';
import { workspaceErrors } from '../errors.ts';

// Running the real git program for the changes view (docs/CONTRACT.md section 9, "Changes"). The
// repository is untrusted (an agent can write its .git/config): no shell, arguments as a list, the
// agents' scrubbed environment (no token, no database URL), a timeout and an output cap, read-only
// (GIT_OPTIONAL_LOCKS=0: never the index lock an agent's own git may be waiting for), and the settings
// a repository could use to run a program on every status (fsmonitor) or to reshape the output
// (pager, external diff, textconv, prefixes) forced off on the command line, which wins over its config.

export const GIT_TIMEOUT_MS = 10_000;
export const GIT_MAX_OUTPUT = 8 * 1024 * 1024;

const FORCED = [
  ['core.quotepath', 'off'],
  ['core.fsmonitor', 'false'],
  ['core.untrackedCache', 'false'],
  ['core.pager', 'cat'],
  ['diff.noprefix', 'false'],
  ['diff.mnemonicPrefix', 'false'],
  ['diff.external', ''],
  ['color.ui', 'false'],
].flatMap(([k, v]) => ['-c', `${k}=${v}`]);

export interface GitOutput {
  /** Exit code (0 success); stdout as text; true when cut at GIT_MAX_OUTPUT. */
  code: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
}

/** The environment git runs with: the agents' one, without the server's own GIT_* steering. */
export function gitEnv(roots: string[]): NodeJS.ProcessEnv {
  const env = agentEnv({ env: {} });
  for (const name of Object.keys(env)) if (name.startsWith('GIT_')) delete env[name];
  return {
    ...env,
    GIT_OPTIONAL_LOCKS: '0',
    GIT_TERMINAL_PROMPT: '0',
    GIT_NO_REPLACE_OBJECTS: '1',
    // Never a repository above the allowed folders (a home directory under git, say).
    GIT_CEILING_DIRECTORIES: roots.map((r) => dirname(r)).join(':'),
    LC_ALL: 'C',
  };
}

/** Runs `git <forced settings> <args>` in `cwd`. Spawn failure or timeout: 503 git_unavailable. */
export function runGit(cwd: string, roots: string[], args: string[]): Promise<GitOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...FORCED, ...args],
      { cwd, env: gitEnv(roots), timeout: GIT_TIMEOUT_MS, maxBuffer: GIT_MAX_OUTPUT, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
        if (!e) return resolve({ code: 0, stdout, stderr, truncated: false });
        if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
          return resolve({ code: 0, stdout, stderr, truncated: true });
        if (e.code === 'ENOENT') return reject(workspaceErrors.gitUnavailable('no git program on PATH'));
        if (e.killed) return reject(workspaceErrors.gitUnavailable(`git took longer than ${GIT_TIMEOUT_MS / 1000} s`));
        if (typeof e.code === 'number') return resolve({ code: e.code, stdout, stderr, truncated: false });
        reject(workspaceErrors.gitUnavailable(String(e.code ?? e.message)));
      },
    );
  });
}

/** Fails with git's own first line of complaint as a 422. */
export function gitComplaint(out: GitOutput): Error {
  const line = out.stderr.split('\n').find((l) => l.trim()) ?? `exit code ${out.code}`;
  return workspaceErrors.gitFailed(line.replace(/^(fatal|error): /, '').slice(0, 300));
}
