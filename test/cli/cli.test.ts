import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { sessionAgent, waitFor } from '../agents/helpers.ts';
import { ROOT, serverCommand, startServer } from '../helpers/server.ts';
import { VERSION } from '../package/helpers.ts';

// The `gmgui` command line (issue 17, src/cli.ts): --version, --help and every command's --help, the
// exit codes of bad input, `doctor`, and how the server logs: readable lines without request lines for
// a person at a terminal, JSON with request lines otherwise (LOG_FORMAT overrides the choice).

const tmp = mkdtempSync(join(tmpdir(), 'gmgui-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the shipped command to its end. */
function gmgui(args: string[], env: Record<string, string> = {}) {
  const [node, ...pre] = serverCommand();
  const r = spawnSync(node, [...pre, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('gmgui command line', () => {
  test('--version and -v print the version of package.json', () => {
    for (const flag of ['--version', '-v']) {
      const r = gmgui([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout.trim(), VERSION);
    }
  });

  test('--help lists every command and the exit codes; each command has its own --help', () => {
    const r = gmgui(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['start, serve', 'stop', 'doctor', 'help'])
      assert.match(r.stdout, new RegExp(`^  ${c}\\b`, 'm'));
    assert.match(r.stdout, /7 another gmgui server is using the\s+data directory/);
    for (const c of ['start', 'serve', 'stop', 'doctor']) {
      const h = gmgui([c, '--help']);
      assert.equal(h.code, 0, h.stderr);
      assert.match(h.stdout, /^Usage: gmgui \w+ \[flags\]/);
      assert.equal(gmgui(['help', c]).stdout, h.stdout);
    }
    assert.match(gmgui(['start', '--help']).stdout, /--data-dir <value>\s+GMGUI_DATA_DIR/);
  });

  test('an unknown command or flag, or a bad setting, is exit 2 with a sentence on stderr', () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['launch'], {}, /Unknown command "launch"\. Run: gmgui --help/],
      [['start', '--prot', '1'], {}, /Unknown option '--prot'\. Run: gmgui start --help/],
      [['stop', '--timeout', 'soon'], {}, /--timeout must be a number/],
      [['--port', 'eighty'], {}, /PORT must be a whole number/],
      [
        [],
        { LOG_FORMAT: 'xml', GMGUI_DATA_DIR: join(tmp, 'bad-format') },
        /LOG_FORMAT must be "pretty" or "json"/,
      ],
    ];
    for (const [args, env, message] of cases) {
      const r = gmgui(args, env);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
  });

  test('doctor checks without changing anything: 0 when all is well, 1 naming what is not', () => {
    const dataDir = join(tmp, 'doctor-data');
    const ok = gmgui(['doctor', '--data-dir', dataDir], { DATABASE_URL: '', GMGUI_AGENTS_FILE: '' });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^ok +Node /m);
    assert.match(ok.stdout, /^ok +web app built/m);
    assert.match(ok.stdout, /^ok +data directory .* will be created/m);
    assert.match(ok.stdout, /^info +no gmgui server is running/m);
    assert.match(ok.stdout, /^ok +agents available: .*demo/m);
    assert.equal(spawnSync('test', ['-e', dataDir]).status, 1, 'doctor created the data directory');

    const agentsFile = join(tmp, 'agents.json');
    writeFileSync(agentsFile, '{"agents": "none"}');
    const bad = gmgui(['doctor', '--data-dir', dataDir, '--agents-file', agentsFile], { DATABASE_URL: '' });
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /^FAIL +agents: GMGUI_AGENTS_FILE .* is not valid/m);
  });

  test('doctor --probe starts each agent: its version, and one that needs signing in says how', () => {
    const agentsFile = join(tmp, 'probe-agents.json');
    const locked = sessionAgent('locked', 'auth', { FIXTURE_STATE_DIR: join(tmp, 'locked-state') });
    const missing = { id: 'missing', name: 'Missing', command: join(tmp, 'no-such-agent'), args: [] };
    writeFileSync(agentsFile, JSON.stringify({ agents: [locked, missing] }));
    const env = { DATABASE_URL: '', PATH: `${dirname(process.execPath)}:/usr/bin:/bin` };
    const plain = gmgui(['doctor', '--data-dir', join(tmp, 'probe-data'), '--agents-file', agentsFile], env);
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    assert.match(plain.stdout, /^info +agent locked \(.*\): found \("gmgui doctor --probe"/m);
    assert.match(plain.stdout, /^info +agent missing \(Missing\): not found/m);

    const probed = gmgui(
      ['doctor', '--probe', '--data-dir', join(tmp, 'probe-data'), '--agents-file', agentsFile],
      env,
    );
    assert.equal(probed.code, 1, probed.stdout + probed.stderr);
    assert.match(probed.stdout, /^ok +agent demo \(.*\) [^:]*: starts, signed in/m);
    assert.match(probed.stdout, /^FAIL +agent locked \(.*\).*: needs signing in \(.*--login.*\)/m);
    assert.match(probed.stdout, /^info +agent missing \(Missing\): not found/m);
  });
});

describe('logs', () => {
  /** A server's output after a few requests and a stop. */
  async function logsOf(env: Record<string, string>): Promise<string> {
    const s = await startServer({ env: { LOG_LEVEL: 'info', ...env } });
    try {
      assert.equal((await s.api('GET', '/api/conversations')).status, 200);
    } finally {
      await s.stop();
      await s.cleanup();
    }
    return s.output();
  }

  test('not a terminal: one JSON object per line, requests included', async () => {
    const out = await logsOf({});
    const lines = out.split('\n').filter((l) => l.startsWith('{'));
    const messages = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    assert.ok(messages.includes('agents loaded'), out);
    assert.ok(messages.includes('incoming request') && messages.includes('request completed'), out);
  });

  test('LOG_FORMAT=pretty: readable lines, no JSON, no request lines at info', async () => {
    const out = await logsOf({ LOG_FORMAT: 'pretty' });
    assert.match(out, /INFO.*: agents loaded/);
    assert.match(out, /INFO.*: shutting down/);
    assert.ok(!out.split('\n').some((l) => l.startsWith('{')), out);
    assert.doesNotMatch(out, /incoming request|request completed/);
  });

  test('a terminal gets the readable, coloured lines on its own', async () => {
    // script(1) gives the server a pseudo-terminal as its stdout.
    if (spawnSync('script', ['--version']).status !== 0) throw new Error('script(1) (util-linux) is needed');
    const dataDir = join(tmp, 'tty-data');
    const [node, ...pre] = serverCommand();
    const command = [node, ...pre].map((w) => `'${w}'`).join(' ');
    const env = {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      GMGUI_DATA_DIR: dataDir,
      GMGUI_ROOTS: tmp,
      LOG_LEVEL: 'info',
      DATABASE_URL: '',
    };
    const proc = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the server to be ready', async () => out.includes('gmgui is ready'));
      const url = /open (http:\/\/[^/\s]+)/.exec(out)?.[1];
      assert.equal((await fetch(`${url}/api/health`)).status, 200);
    } finally {
      const stop = gmgui(['stop', '--data-dir', dataDir]);
      assert.equal(stop.code, 0, stop.stderr);
    }
    assert.equal(await exited, 0, out);
    // Colour codes (ESC [ … m), readable level and message, and nothing in JSON.
    const ESC = String.fromCharCode(27);
    assert.ok(out.includes(`${ESC}[`), out);
    assert.match(out.replaceAll(new RegExp(`${ESC}\\[\\d+m`, 'g'), ''), /INFO.*: agents loaded/);
    assert.doesNotMatch(out, /"level":/);
    assert.doesNotMatch(out, /incoming request/);
  });
});
