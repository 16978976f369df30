import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { assertError } from '../helpers/api-assert.ts';
import { partialRequest, rawRequest } from '../helpers/raw-http.ts';
import { ROOT, serverCommand, startServer } from '../helpers/server.ts';

// Operations basics: BASE_URL, graceful shutdown, clear start-up failures.

/** Runs the shipped server to its exit (for start-up failures): exit code and everything it printed. */
function runCli(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const [node, ...args] = serverCommand();
    const proc = spawn(node, args, {
      cwd: ROOT,
      env: {
        ...(process.env as Record<string, string>),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        GMGUI_TOKEN: 't',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
    });
    proc.stderr.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`the CLI did not exit in 30 s:\n${out}`));
    }, 30_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('BASE_URL', () => {
  test('every route lives under the prefix, and only there; the cookie is scoped to it', async () => {
    const s = await startServer({ baseUrl: '/gm' });
    try {
      assert.equal(s.base, `${s.url}/gm`);
      assert.equal((await s.api('GET', '/api/health')).status, 200);
      const c = await s.api('POST', '/api/conversations', { agentId: 'demo' });
      assert.equal(c.status, 201, c.text);
      const m = await s.api('POST', `/api/conversations/${c.body.conversation.id}/messages`, {
        content: 'under /gm',
      });
      assert.equal(m.status, 201);
      assert.equal((await s.api('GET', `/api/conversations/${c.body.conversation.id}/messages`)).status, 200);
      // Without the prefix: nothing there.
      const auth = { authorization: `Bearer ${s.token}` };
      assertError(
        await rawRequest({ port: s.port, method: 'GET', path: '/api/conversations', headers: auth }),
        404,
      );
      assertError(await rawRequest({ port: s.port, method: 'GET', path: '/api/health' }), 404);
      // The prefix still needs the token.
      assertError(await rawRequest({ port: s.port, method: 'GET', path: '/gm/api/conversations' }), 401);
      const withQuery = await rawRequest({
        port: s.port,
        method: 'GET',
        path: `/gm/api/conversations?token=${s.token}`,
      });
      assert.equal(withQuery.status, 200);
      assert.match(String(withQuery.headers['set-cookie']), /Path=\/gm(;|$)/);
    } finally {
      await s.stop();
      await s.cleanup();
    }
  });
});

describe('graceful shutdown', () => {
  test('SIGTERM lets an in-flight send finish and commit, then exits 0', async () => {
    const s = await startServer({ env: { LOG_LEVEL: 'info' } });
    let restarted: Awaited<ReturnType<typeof startServer>> | null = null;
    try {
      const cid = (await s.api('POST', '/api/conversations', { agentId: 'demo' })).body.conversation.id;
      const body = JSON.stringify({ content: 'sent during shutdown', idempotencyKey: 'shutdown-1' });
      const half = Math.floor(body.length / 2);
      const path = `/api/conversations/${cid}/messages`;
      const inflight = partialRequest({
        port: s.port,
        method: 'POST',
        path,
        headers: {
          authorization: `Bearer ${s.token}`,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'x-request-id': 'inflight-1',
        },
        head: body.slice(0, half),
      });
      // The server has the request (it logs it when routed) but not yet its whole body.
      await waitFor('the request to arrive', () => /"reqId":"inflight-1"/.test(s.output()));
      s.proc.kill('SIGTERM');
      await waitFor('shutdown to begin', () => s.output().includes('shutting down'));
      // No new connections once it is closing.
      await waitFor('the listener to close', async () => !(await canConnect(s.port)));
      const res = await inflight.finish(body.slice(half));
      assert.equal(res.status, 201, res.text);
      const code = await new Promise<number | null>((r) =>
        s.proc.exitCode !== null ? r(s.proc.exitCode) : s.proc.once('exit', (c) => r(c)),
      );
      assert.equal(code, 0, s.output());
      // The acknowledged send was committed.
      restarted = await startServer({ dataDir: s.dataDir, rootDir: s.rootDir });
      const msgs = (await restarted.api('GET', `/api/conversations/${cid}/messages`)).body.messages;
      assert.deepEqual(
        msgs.filter((m: { role: string }) => m.role === 'user').map((m: { id: string }) => m.id),
        [res.body.message.id],
      );
    } finally {
      await s.stop();
      await restarted?.stop();
      await s.cleanup();
    }
  });
});

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

describe('start-up failures', () => {
  test('a port in use: a clear message and exit code 4', async () => {
    const s = await startServer();
    const dataDir = await mkdtemp(join(tmpdir(), 'gmgui-data-'));
    try {
      assert.ok(await canConnect(s.port));
      const r = await runCli({ PORT: String(s.port), GMGUI_DATA_DIR: dataDir, GMGUI_ROOTS: s.rootDir });
      assert.equal(r.code, 4, r.out);
      assert.match(r.out, new RegExp(`Port ${s.port} .*already in use`));
      assert.doesNotMatch(r.out, /\n\s+at /, 'no stack trace, just the sentence');
    } finally {
      await s.stop();
      await s.cleanup();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('a data dir that cannot be written: a clear message and exit code 3', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gmgui-bad-'));
    try {
      // A path below a regular file can never be created, whoever runs the test (root ignores modes).
      await writeFile(join(dir, 'a-file'), 'x');
      const r = await runCli({ PORT: '0', GMGUI_DATA_DIR: join(dir, 'a-file', 'data'), GMGUI_ROOTS: dir });
      assert.equal(r.code, 3, r.out);
      assert.match(r.out, /data directory .* is not writable/);
      assert.match(r.out, /GMGUI_DATA_DIR/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a bad setting: a clear message and exit code 2', async () => {
    const r = await runCli({ PORT: 'eighty', GMGUI_DATA_DIR: join(tmpdir(), 'unused') });
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /PORT must be a whole number/);
  });
});
