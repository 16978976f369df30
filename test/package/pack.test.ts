import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { finished, send, waitFor } from '../agents/helpers.ts';
import { fetchApi } from '../helpers/http.ts';
import { ROOT, type TestServer } from '../helpers/server.ts';
import { npm, offerLocalSqlitePrebuild, userEnv, VERSION } from './helpers.ts';

// The package as a user gets it (issue 17): `npm pack` of the checkout, installed globally into a temp
// prefix with --omit=dev, and its `gmgui` command run from there, away from the checkout: it must serve
// the web app (its HTML and script), /api/health and the demo agent with nothing but runtime
// dependencies, and answer --version and --help. The tarball must hold no tests, sources, benchmarks or
// dev tools, and stay small.

/** The stated size limit of the tarball (README "Install"): today it is about a third of this. */
const MAX_TARBALL_BYTES = 1024 * 1024;
const MAX_UNPACKED_BYTES = 3 * 1024 * 1024;

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: Array<{ path: string; size: number }>;
}

describe('the npm package', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gmgui-pack-'));
  const prefix = join(tmp, 'prefix');
  const gmgui = join(prefix, 'bin', 'gmgui');
  let packed: PackResult;

  before(() => {
    const r = npm(['pack', '--pack-destination', tmp, '--json'], ROOT);
    assert.equal(r.status, 0, `npm pack failed:\n${r.stderr}`);
    [packed] = JSON.parse(r.stdout) as PackResult[];
  });

  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('holds the built web app and server, no tests, sources, benchmarks or dev maps, and is small', () => {
    const paths = packed.files.map((f) => f.path);
    for (const needed of [
      'package.json',
      'README.md',
      'dist/server/cli.mjs',
      'dist/server/demo-agent.mjs',
      'web/dist/index.html',
    ]) {
      assert.ok(paths.includes(needed), `${needed} is missing from ${paths.join(', ')}`);
    }
    assert.ok(
      paths.some((p) => /^web\/dist\/assets\/.+\.js$/.test(p)),
      'the web app script is missing',
    );
    const unwanted = paths.filter(
      (p) =>
        /^(test|bench|src|scripts|web\/src|\.ci|node_modules)\//.test(p) ||
        /\.(ts|tsx)$/.test(p) ||
        (p.endsWith('.map') && !p.startsWith('dist/server/')),
    );
    assert.deepEqual(unwanted, []);
    assert.ok(
      packed.size < MAX_TARBALL_BYTES,
      `the tarball is ${packed.size} bytes, over ${MAX_TARBALL_BYTES}`,
    );
    assert.ok(packed.unpackedSize < MAX_UNPACKED_BYTES, `unpacked ${packed.unpackedSize} bytes`);
  });

  test('installs with --omit=dev into a prefix: a gmgui command and runtime dependencies only', () => {
    offerLocalSqlitePrebuild(tmp);
    const r = npm(
      [
        'install',
        '--global',
        '--prefix',
        prefix,
        join(tmp, packed.filename),
        '--omit=dev',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--allow-scripts=better-sqlite3,node-pty',
      ],
      tmp,
    );
    assert.equal(r.status, 0, `npm install failed:\n${r.stderr}`);
    assert.ok(existsSync(gmgui), 'no bin/gmgui in the prefix');
    const deps = join(prefix, 'lib', 'node_modules', 'gmgui', 'node_modules');
    for (const dev of ['tsx', 'esbuild', 'vite', 'typescript', 'vitest', '@biomejs', 'playwright-core']) {
      assert.ok(!existsSync(join(deps, dev)), `the dev dependency ${dev} was installed`);
    }
    assert.ok(existsSync(join(deps, 'fastify')) && existsSync(join(deps, 'better-sqlite3')));
  });

  test('gmgui --version prints the version; --help lists the commands', () => {
    const version = spawnSync(gmgui, ['--version'], { cwd: tmp, env: userEnv(), encoding: 'utf8' });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), VERSION);
    const help = spawnSync(gmgui, ['--help'], { cwd: tmp, env: userEnv(), encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    for (const command of ['start, serve', 'stop', 'doctor', 'help']) {
      assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'), `--help does not list ${command}`);
    }
  });

  test('gmgui serves the web app, /api/health and the demo agent, then stops with gmgui stop', async () => {
    const dataDir = join(tmp, 'data');
    const rootDir = join(tmp, 'root');
    mkdirSync(rootDir);
    const token = 'package-test-token';
    const env = userEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      GMGUI_DATA_DIR: dataDir,
      GMGUI_ROOTS: rootDir,
      GMGUI_TOKEN: token,
      GMGUI_DEMO_STEP_MS: '1',
      // Not the developer's database or agents: this server's own, in its temp data dir.
      DATABASE_URL: '',
      GMGUI_AGENTS_FILE: '',
    });
    const proc: ChildProcess = spawn(gmgui, [], { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout?.on('data', (d) => (out += d));
    proc.stderr?.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    try {
      const url = await waitFor(
        'gmgui to be ready',
        async () => /gmgui is ready: open (http:\/\/[^/\s]+)/.exec(out)?.[1],
        30_000,
      ).catch((e) => {
        throw new Error(`${e.message}:\n${out}`);
      });
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      const html = await page.text();
      const script = /<script[^>]+src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
      assert.ok(script, `no script in the page:\n${html}`);
      const js = await fetch(`${url}/${script}`);
      assert.equal(js.status, 200);
      assert.match(js.headers.get('content-type') ?? '', /javascript/);
      assert.ok((await js.text()).length > 10_000);
      const health = await fetch(`${url}/api/health`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { ok: boolean }).ok, true);

      // The demo agent runs from its bundle: an installed package has no TypeScript loader.
      const s = { api: fetchApi(url, token), rootDir } as unknown as TestServer;
      const conv = await s.api('POST', '/api/conversations', { agentId: 'demo', cwd: rootDir });
      assert.equal(conv.status, 201, conv.text);
      const session = await send(s, conv.body.conversation.id, '/quick');
      assert.equal((await finished(s, session.id)).session.status, 'completed');

      const stop = spawnSync(gmgui, ['stop', '--data-dir', dataDir], {
        cwd: tmp,
        env: userEnv(),
        encoding: 'utf8',
      });
      assert.equal(stop.status, 0, stop.stderr);
      assert.equal(await exited, 0, out);
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
  });
});
