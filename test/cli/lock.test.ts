import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { finished, getSession, newConversation, send, waitFor } from '../agents/helpers.ts';
import { ROOT, serverCommand, serverEnv, startServer } from '../helpers/server.ts';

// One server per data dir (issue 10, src/cli/data-lock.ts): a second server on the same data dir exits
// with 7 and names the first, which goes on untouched (its turn completes); the lock goes with its
// process, so after kill -9 the next server starts at once; `gmgui stop` stops the holder and never
// signals the stale pid of a dead one.

/** The shipped command with arguments, run to its end: exit code and everything it printed. */
function gmgui(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const [node, ...pre] = serverCommand();
  const proc = spawn(node, [...pre, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, out })));
}

/** The pid gmgui.pid names. */
const pidInFile = (dataDir: string): number => Number(readFileSync(join(dataDir, 'gmgui.pid'), 'utf8'));

const DEMO = { GMGUI_DEMO_STEP_MS: '1', GMGUI_DEMO_LONG_MS: '4000', GMGUI_DEMO_LONG_CHUNKS: '40' };

describe('one server per data dir', () => {
  test('a second server on the same data dir exits 7 naming the first, whose turn completes', async () => {
    const first = await startServer({ env: DEMO });
    try {
      const conv = await newConversation(first, 'demo');
      const turn = await send(first, conv.id, '/long');
      await waitFor('the answer to stream', async () =>
        (await getSession(first, turn.id)).events.some((e: { type: string }) => e.type === 'text_delta'),
      );

      const second = await gmgui(
        [],
        serverEnv({ dataDir: first.dataDir, rootDir: first.rootDir }, { token: first.token }),
      );
      assert.equal(second.code, 7, second.out);
      assert.match(
        second.out,
        new RegExp(`Another gmgui server \\(pid ${first.proc.pid}\\) is already running`),
      );
      assert.ok(second.out.includes(first.dataDir), second.out);

      const done = await finished(first, turn.id);
      assert.equal(done.session.status, 'completed', JSON.stringify(done.session));
      assert.equal(pidInFile(first.dataDir), first.proc.pid);
    } finally {
      await first.stop();
      await first.cleanup();
    }
  });

  test('after kill -9 the lock is free at once: stop says so, and the next server starts', async () => {
    const first = await startServer();
    const dirs = { dataDir: first.dataDir, rootDir: first.rootDir };
    await first.kill9();
    // The dead server's pid file is still there; it must not fool anyone.
    assert.equal(pidInFile(first.dataDir), first.proc.pid);

    const stop = await gmgui(['stop', '--data-dir', first.dataDir], {});
    assert.equal(stop.code, 0, stop.out);
    assert.match(stop.out, /No gmgui server is running/);

    const next = await startServer({ ...dirs, token: first.token });
    try {
      assert.equal((await next.api('GET', '/api/conversations')).status, 200);
      assert.equal(pidInFile(first.dataDir), next.proc.pid);
    } finally {
      await next.stop();
      await first.cleanup();
    }
  });

  test('gmgui stop stops the server (exit 0 both), removing its pid file', async () => {
    const s = await startServer();
    try {
      const exited = new Promise<number | null>((resolve) => s.proc.once('exit', (code) => resolve(code)));
      const stop = await gmgui(['stop', '--data-dir', s.dataDir, '--agents'], {});
      assert.equal(stop.code, 0, stop.out);
      assert.match(
        stop.out,
        new RegExp(`Stopping the gmgui server \\(pid ${s.proc.pid}\\)[\\s\\S]*Stopped\\.`),
      );
      assert.equal(await exited, 0, s.output());
      assert.ok(!existsSync(join(s.dataDir, 'gmgui.pid')));
    } finally {
      await s.stop();
      await s.cleanup();
    }
  });
});
