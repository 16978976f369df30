import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../helpers/server.ts';

// What the package tests share: the environment of a user's shell (not of the test runner), and a local
// prebuilt SQLite addon so that installing the package does not compile it (minutes) for every test.

/** The package's version, as `gmgui --version` must print it. */
export const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

/**
 * A user's environment: npm's lifecycle variables (a run under `npm test` has dozens, some of which would
 * change what a nested npm does) removed, and this Node first on PATH, so `#!/usr/bin/env node` runs the
 * Node under test (CI runs this file on more than one, .ci/run).
 */
export function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => !e[0].toLowerCase().startsWith('npm_') && !!e[1],
    ),
  );
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? ''}`;
  return { ...env, ...extra };
}

/** npm with this Node: the npm of the run when there is one, else the one on PATH. */
export function npm(args: string[], cwd: string, env = userEnv()): SpawnSyncReturns<string> {
  const cli = process.env.npm_execpath;
  const [cmd, ...pre] = cli?.endsWith('.js') ? [process.execPath, cli] : ['npm'];
  return spawnSync(cmd, [...pre, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/**
 * The checkout's compiled better-sqlite3 as a prebuilt binary in `dir`, where prebuild-install looks
 * first (a .prebuild-installrc in `dir`, read from the install folder upwards). Online, prebuild-install
 * downloads the same kind of file; offline without it, the addon compiles from source for minutes. A
 * version other than the checkout's still installs, by compiling.
 */
export function offerLocalSqlitePrebuild(dir: string): string {
  const pkg = join(ROOT, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string };
  const prebuilds = join(dir, 'prebuilds');
  mkdirSync(prebuilds, { recursive: true });
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const r = spawnSync('tar', ['-czf', join(prebuilds, name), '-C', pkg, 'build/Release/better_sqlite3.node']);
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
  writeFileSync(join(dir, '.prebuild-installrc'), `local-prebuilds=${prebuilds}\n`);
  return prebuilds;
}
