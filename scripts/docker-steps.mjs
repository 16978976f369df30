// Runs the Dockerfile's steps without Docker, in a temp folder, so the image's recipe is tested where no
// Docker engine is (test/package/docker-steps.test.ts): every stage gets its own folder standing for its
// filesystem root; WORKDIR, COPY (with .dockerignore and --from), RUN (sh -c), ENV and CMD are carried out
// there with this machine's Node; then the container is started as `docker run` would (HOST and PORT
// overridden like `-e`, for a free loopback port), its HEALTHCHECK command must pass, its data must land
// in the VOLUME, and STOPSIGNAL must stop it with exit 0. What only Docker can do (the base image, USER,
// ownership) is checked by reading the Dockerfile instead; a RUN marked "docker-steps: skip" is reported
// and not run.
//
// Usage: node scripts/docker-steps.mjs [--keep] [--local-prebuilds <dir>]
//   --keep                 leave the temp folder for a look
//   --local-prebuilds DIR  where prebuild-install finds native addons instead of downloading them (tests)
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const context = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: { keep: { type: 'boolean' }, 'local-prebuilds': { type: 'string' } },
});

const fail = (message) => {
  throw new Error(message);
};
const log = (line) => process.stdout.write(`docker-steps: ${line}\n`);

/** Instructions with their arguments, continuation lines joined, and the skip marker noted. */
function parseDockerfile(text) {
  const out = [];
  let skipNext = false;
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && line.startsWith('#')) {
      if (/docker-steps:\s*skip/.test(line)) skipNext = true;
      continue;
    }
    if (!pending && !line) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = pending + line;
    pending = '';
    const m = /^(\w+)\s+([\s\S]*)$/.exec(full);
    if (!m) fail(`cannot read the Dockerfile line: ${full}`);
    out.push({ op: m[1].toUpperCase(), args: m[2].trim(), skip: skipNext });
    skipNext = false;
  }
  return out;
}

/** .dockerignore patterns as a predicate over paths relative to the context (Docker's anchored globs). */
function ignoreMatcher() {
  const file = join(context, '.dockerignore');
  const patterns = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
    : [];
  const regexes = patterns.map((p) => {
    const body = p
      .replace(/^\/+|\/+$/g, '')
      .split('**')
      .map((part) =>
        part
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]'),
      )
      .join('.*');
    return new RegExp(`^${body}(/|$)`);
  });
  return (rel) => regexes.some((r) => r.test(rel));
}

/** Splits `A=1 B="two words"` (ENV) into pairs. */
function envPairs(args) {
  const pairs = [];
  for (const m of args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    pairs.push([m[1], m[2].startsWith('"') ? JSON.parse(m[2]) : m[2]]);
  }
  return pairs;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** The host environment without npm's own variables (a test run under `npm test` has many). */
function hostEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
}

async function main() {
  const steps = parseDockerfile(readFileSync(join(context, 'Dockerfile'), 'utf8'));
  const work = mkdtempSync(join(tmpdir(), 'gmgui-docker-steps-'));
  if (opts['local-prebuilds']) {
    // prebuild-install reads .prebuild-installrc from the install's folder upwards.
    writeFileSync(join(work, '.prebuild-installrc'), `local-prebuilds=${opts['local-prebuilds']}\n`);
  }
  const ignored = ignoreMatcher();
  const args = {};
  const stages = [];
  let stage = null;
  const inRoot = (p) => join(stage.root, p);
  const mapPaths = (value) =>
    value
      .split(':')
      .map((part) => (part.startsWith('/') ? inRoot(part) : part))
      .join(':');
  const expand = (value) =>
    value.replace(/\$\{?(\w+)\}?/g, (_, name) => stage?.env[name] ?? args[name] ?? '');

  try {
    for (const { op, args: a, skip } of steps) {
      if (op === 'ARG') {
        const [name, value = ''] = a.split('=');
        args[name] = value;
        continue;
      }
      if (op === 'FROM') {
        const [, image, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(a) ?? fail(`FROM ${a}`);
        const root = join(work, `stage-${stages.length}`);
        mkdirSync(root);
        stage = { name, image: expand(image), root, env: hostEnv(), workdir: '/', user: 'root', volumes: [] };
        stage.env.PATH = process.env.PATH;
        stages.push(stage);
        log(
          `stage ${stages.length - 1}${name ? ` (${name})` : ''}: ${stage.image} → ${root} (with this machine's Node ${process.version})`,
        );
        continue;
      }
      if (!stage) fail(`${op} before FROM`);
      if (skip) {
        log(`skipped (needs Docker): ${op} ${a}`);
        continue;
      }
      if (op === 'WORKDIR') {
        stage.workdir = a.startsWith('/') ? a : join(stage.workdir, a);
        mkdirSync(inRoot(stage.workdir), { recursive: true });
      } else if (op === 'COPY') {
        const words = a.split(/\s+/);
        const from = words[0].startsWith('--from=') ? words.shift().slice('--from='.length) : null;
        const dest = words.pop();
        const destPath = inRoot(dest.startsWith('/') ? dest : join(stage.workdir, dest));
        const source = from ? (stages.find((s) => s.name === from) ?? fail(`no stage "${from}"`)) : null;
        for (const src of words) {
          const srcPath = source ? join(source.root, src) : join(context, src);
          if (!existsSync(srcPath)) fail(`COPY: ${src} does not exist`);
          // A folder's contents go into the destination; a file goes into it when it names a folder.
          const intoFolder = dest.endsWith('/') || dest === '.' || words.length > 1;
          const isDir = statSync(srcPath).isDirectory();
          const target = !isDir && intoFolder ? join(destPath, basename(srcPath)) : destPath;
          cpSync(srcPath, target, {
            recursive: true,
            filter: (p) => source !== null || p === srcPath || !ignored(relative(context, p)),
          });
        }
        log(`COPY ${a}`);
      } else if (op === 'RUN') {
        const command = a.replace(/--mount=\S+\s+/g, '');
        log(`RUN ${command}`);
        if (/(^|\s)\/(?!dev\/null)/.test(command))
          fail(`RUN with an absolute path cannot run outside Docker: ${command}`);
        const r = spawnSync('sh', ['-c', command], {
          cwd: inRoot(stage.workdir),
          env: stage.env,
          stdio: 'inherit',
        });
        if (r.status !== 0) fail(`RUN failed (exit ${r.status}): ${command}`);
      } else if (op === 'ENV') {
        for (const [k, v] of envPairs(a)) stage.env[k] = expand(mapPaths(v));
      } else if (op === 'VOLUME') {
        stage.volumes.push(...a.split(/\s+/));
      } else if (op === 'USER') {
        stage.user = a;
      } else if (op === 'HEALTHCHECK') {
        stage.healthcheck = JSON.parse(
          /CMD\s+(\[.*\])$/.exec(a)?.[1] ?? fail('HEALTHCHECK must use CMD [exec form]'),
        );
      } else if (op === 'CMD') {
        stage.cmd = JSON.parse(a);
      } else if (op === 'STOPSIGNAL') {
        stage.stopSignal = a;
      } else if (op !== 'EXPOSE' && op !== 'LABEL') {
        fail(`${op} is not supported by scripts/docker-steps.mjs`);
      }
    }
    await runContainer(stage);
    log(
      'ok: the image builds, starts, serves the web app, passes its health check, keeps its data in the volume and stops with 0',
    );
  } finally {
    if (opts.keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

/** What `docker run` would do with the final stage, plus the checks only the Dockerfile's text allows. */
async function runContainer(s) {
  if (['root', '0', ''].includes(s.user.split(':')[0])) fail('the image must run as a non-root USER');
  if (!s.cmd) fail('the image has no CMD');
  if (!s.healthcheck) fail('the image has no HEALTHCHECK');
  const dataDir = s.env.GMGUI_DATA_DIR ?? fail('the image sets no GMGUI_DATA_DIR');
  if (!s.volumes.some((v) => dataDir === join(s.root, v))) fail(`GMGUI_DATA_DIR is not a VOLUME`);
  mkdirSync(dataDir, { recursive: true });
  if (s.env.GMGUI_ROOTS) mkdirSync(s.env.GMGUI_ROOTS, { recursive: true });
  const port = await freePort();
  const env = { ...s.env, HOST: '127.0.0.1', PORT: String(port) };
  log(
    `docker run (as ${s.user} in Docker; here as this user) with -e HOST=127.0.0.1 -e PORT=${port}: ${s.cmd.join(' ')}`,
  );
  const proc = spawn(s.cmd[0], s.cmd.slice(1), {
    cwd: join(s.root, s.workdir),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let failedToRun = false;
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
    proc.once('error', (e) => {
      failedToRun = true;
      out += `cannot run ${s.cmd[0]}: ${e.message}\n`;
      resolve({ code: null, signal: null });
    });
  });
  try {
    const deadline = Date.now() + 30_000;
    while (!/gmgui is ready/.test(out)) {
      if (proc.exitCode !== null || failedToRun) fail(`the container exited before it was ready:\n${out}`);
      if (Date.now() > deadline) fail(`not ready in 30 s:\n${out}`);
      await sleep(50);
    }
    log('ready; HEALTHCHECK …');
    const health = spawnSync(s.healthcheck[0], s.healthcheck.slice(1), {
      env,
      encoding: 'utf8',
      timeout: 10_000,
    });
    if (health.status !== 0) fail(`HEALTHCHECK failed (exit ${health.status}): ${health.stderr}`);
    if (!existsSync(join(dataDir, 'gmgui.db'))) fail('the database is not in the data VOLUME');
    // The web app is served (through @fastify/static and the lockfile's versions of its dependencies).
    const page = await fetch(`http://127.0.0.1:${port}/`);
    const html = await page.text();
    if (page.status !== 200 || !html.includes('<script'))
      fail(`the web app is not served: ${page.status} ${html}`);
  } finally {
    proc.kill(s.stopSignal ?? 'SIGTERM');
  }
  const { code, signal } = await exited;
  if (code !== 0)
    fail(`${s.stopSignal ?? 'SIGTERM'} ended the container with ${code ?? signal}, not 0:\n${out}`);
}

main().catch((e) => {
  process.stderr.write(`docker-steps: ${e.message}\n`);
  process.exit(1);
});
