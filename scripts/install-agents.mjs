// Installs the real coding agents the interop tests drive (test/interop, docs/agents.md), at pinned
// versions, from the npm registry into a cache folder outside the repository: they are large (native
// binaries of 100–250 MB each), not dependencies of gmgui, and shared between checkouts.
//
// Usage: node scripts/install-agents.mjs [agent-id …]   (default: all of them)
// Folder: $GMGUI_AGENTS_CACHE, else $XDG_CACHE_HOME/gmgui-agents, else ~/.cache/gmgui-agents.
// Idempotent: an agent whose pinned version is already installed there is not touched. Each agent
// has its own folder (<id>-<version>), installed into a temporary folder first and renamed into place,
// so an interrupted install never looks complete. Package install scripts are not run: the platform
// binaries arrive as npm optional dependencies and are found below, nothing is downloaded at run time.
// The result is described in manifest.json (read by test/interop/agents.ts): per agent the version and
// the file to run, so the tests never guess the layout.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The pinned agents. `entry` names the file to run inside node_modules (`node: true`: a JavaScript
 * file run by Node; else a native executable), `args` what makes it speak ACP on stdio.
 */
export const AGENTS = [
  {
    id: 'claude',
    package: '@agentclientprotocol/claude-agent-acp',
    version: '0.101.0',
    entry: () => '@agentclientprotocol/claude-agent-acp/dist/index.js',
    node: true,
    args: [],
  },
  {
    id: 'codex',
    package: '@agentclientprotocol/codex-acp',
    version: '2.6.0',
    entry: () => '@agentclientprotocol/codex-acp/dist/index.js',
    node: true,
    args: [],
  },
  {
    id: 'gemini',
    package: '@google/gemini-cli',
    version: '0.61.0',
    entry: () => '@google/gemini-cli/bundle/gemini.js',
    node: true,
    args: ['--acp'],
  },
  {
    id: 'opencode',
    package: 'opencode-ai',
    version: '1.18.33',
    // opencode-ai's own bin is a launcher its postinstall replaces; the real program is the platform
    // package npm picked (os/cpu/libc), e.g. opencode-linux-x64/bin/opencode.
    entry: (modules) => {
      const names = readdirSync(modules).filter((n) => n.startsWith('opencode-') && n !== 'opencode-ai');
      const ranked = names.sort((a, b) => rank(a) - rank(b));
      const found = ranked.find((n) => existsSync(join(modules, n, 'bin', 'opencode')));
      return found ? `${found}/bin/opencode` : null;
    },
    node: false,
    args: ['acp'],
  },
];

/** Prefer the plain build, then baseline (older CPUs), then musl, for opencode's platform packages. */
function rank(name) {
  return (name.includes('musl') ? 2 : 0) + (name.includes('baseline') ? 1 : 0);
}

export function cacheDir() {
  if (process.env.GMGUI_AGENTS_CACHE) return process.env.GMGUI_AGENTS_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'gmgui-agents');
}

/** The installed version of `pkg` under `dir`, or null. */
function installedVersion(dir, pkg) {
  try {
    return JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')).version ?? null;
  } catch {
    return null;
  }
}

/** The manifest entry of an installed agent, or null when it is missing or incomplete. */
function describe(agent, dir) {
  if (installedVersion(dir, agent.package) !== agent.version) return null;
  const entry = agent.entry(join(dir, 'node_modules'));
  const file = entry && join(dir, 'node_modules', entry);
  if (!file || !existsSync(file)) return null;
  return { package: agent.package, version: agent.version, file, node: agent.node, args: agent.args };
}

function npm(args, cwd) {
  const cli = process.env.npm_execpath;
  const [command, ...pre] = cli?.endsWith('.js') ? [process.execPath, cli] : ['npm'];
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...pre, ...args], { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`npm ${args[0]} exited ${code}`)),
    );
  });
}

async function install(agent, root) {
  const dir = join(root, `${agent.id}-${agent.version}`);
  const ready = describe(agent, dir);
  if (ready) {
    console.log(`${agent.id}: ${agent.package}@${agent.version} already installed`);
    return ready;
  }
  const tmp = `${dir}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeFileSync(
    join(tmp, 'package.json'),
    JSON.stringify({
      name: `gmgui-agent-${agent.id}`,
      private: true,
      dependencies: { [agent.package]: agent.version },
    }),
  );
  console.log(`${agent.id}: installing ${agent.package}@${agent.version} into ${dir}`);
  try {
    await npm(
      ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=dev', '--no-package-lock'],
      tmp,
    );
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const done = describe(agent, dir);
  if (!done) throw new Error(`${agent.id}: installed, but ${agent.package}'s entry point is missing`);
  return done;
}

async function main() {
  const root = cacheDir();
  mkdirSync(root, { recursive: true });
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((id) => !AGENTS.some((a) => a.id === id));
  if (unknown.length)
    throw new Error(`unknown agent(s): ${unknown.join(', ')}; known: ${AGENTS.map((a) => a.id).join(', ')}`);
  const chosen = wanted.length ? AGENTS.filter((a) => wanted.includes(a.id)) : AGENTS;
  // In parallel: the time is the network's; npm's cache takes concurrent installs.
  const results = await Promise.allSettled(chosen.map((a) => install(a, root)));
  const manifestFile = join(root, 'manifest.json');
  let manifest = {};
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')).agents ?? {};
  } catch {
    // First run, or a damaged manifest: rebuilt from what is installed below.
  }
  for (const a of AGENTS) {
    const d = describe(a, join(root, `${a.id}-${a.version}`));
    if (d) manifest[a.id] = d;
    else delete manifest[a.id];
  }
  writeFileSync(manifestFile, `${JSON.stringify({ agents: manifest }, null, 2)}\n`);
  const failed = results.filter((r) => r.status === 'rejected');
  for (const f of failed) console.error(String(f.reason?.message ?? f.reason));
  console.log(`agents in ${root}: ${Object.keys(manifest).join(', ') || 'none'}`);
  if (failed.length) process.exit(1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(err?.message ?? err);
    process.exit(1);
  });
}
