import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { ROOT, serverCommand } from '../helpers/server.ts';
import {
  finished,
  getSession,
  newConversation,
  processExists,
  send,
  textOf,
  turn,
  waitFor,
} from '../agents/helpers.ts';
import { keeperMetas, keeperSetting } from './helpers.ts';

// How kept agents end (docs/DESIGN.md "Process model"): a keeper exits with its agent, and a turn whose
// agent died while no server ran is `interrupted` as before; an idle agent nobody attaches to is
// stopped after GMGUI_KEEPER_IDLE_MS; `gmgui stop --agents` stops the server and its kept agents.

const { dataDir, rootDir, env, servers, boot } = keeperSetting();

function gmgui(args: string[]): Promise<{ code: number | null; out: string }> {
  const [node, ...pre] = serverCommand();
  const proc = spawn(node, [...pre, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => {
    out += d;
  });
  proc.stderr.on('data', (d) => {
    out += d;
  });
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, out })));
}

const gone = (pid: number) => waitFor(`process ${pid} to end`, async () => !processExists(pid), 15_000);

test('an agent that dies while no server runs: its keeper exits, the turn is interrupted', async () => {
  const a = await boot();
  const conv = await newConversation(a, 'slow');
  const s = await send(a, conv.id, 'stream 600 50');
  await waitFor('streaming', async () => textOf((await getSession(a, s.id)).events).length > 0);
  const [meta] = keeperMetas(dataDir);
  await a.kill9();
  process.kill(meta.agentPid, 'SIGKILL');
  await gone(meta.keeperPid);
  assert.deepEqual(keeperMetas(dataDir), [], 'the keeper cleaned up after itself');
  const b = await boot();
  const r = await finished(b, s.id);
  assert.equal(r.session.status, 'interrupted');
  await b.stop();
});

test('an idle kept agent with no server is stopped after GMGUI_KEEPER_IDLE_MS', async () => {
  const a = await servers.start({ dataDir, rootDir, env: { ...env, GMGUI_KEEPER_IDLE_MS: '300' } });
  const conv = await newConversation(a, 'slow');
  await turn(a, conv.id, 'stream 2 1');
  const [meta] = keeperMetas(dataDir);
  assert.ok(processExists(meta.agentPid));
  await a.stop();
  await gone(meta.agentPid);
  await gone(meta.keeperPid);
});

test('gmgui stop --agents stops the server and the agents it kept', async () => {
  const a = await boot();
  const conv = await newConversation(a, 'slow');
  await turn(a, conv.id, 'stream 2 1');
  const [meta] = keeperMetas(dataDir);
  const r = await gmgui(['stop', '--data-dir', dataDir, '--agents']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /Stopped\.[\s\S]*Stopped 1 kept agent\./);
  assert.ok(!processExists(meta.agentPid) && !processExists(meta.keeperPid));
});
