import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Json,
  finished,
  getSession,
  newConversation,
  processExists,
  send,
  sleep,
  textOf,
  waitFor,
} from '../agents/helpers.ts';
import { keeperMetas, keeperSetting, prompts, streamed } from './helpers.ts';

// A turn outlives the server (docs/DESIGN.md "Process model"): kill -9 of the server's whole process
// group while the agent streams; a new server on the same data dir reattaches to the same agent
// process through its keeper and the turn ends `completed` with exactly what the agent said.

const { dataDir, stateDir, boot } = keeperSetting();

const chunks = (events: Json[]) => events.filter((e) => e.type === 'text_delta').length;

test('kill -9 of the server group mid-answer: the restarted server finishes the same turn, nothing lost or twice', async () => {
  const a = await boot();
  const conv = await newConversation(a, 'slow');
  const s = await send(a, conv.id, 'stream 60 100');
  await waitFor('some chunks stored', async () => chunks((await getSession(a, s.id)).events) >= 5);
  const [{ pid }] = prompts(stateDir);
  await a.kill9();
  // The agent goes on with no server at all.
  await sleep(1500);
  assert.ok(processExists(pid), 'the agent outlived the server');

  const b = await boot();
  const r = await finished(b, s.id, 30_000);
  assert.equal(r.session.status, 'completed', JSON.stringify(r.session));
  assert.equal(textOf(r.events), streamed(60), 'every chunk once, in order');
  assert.equal(r.session.response?.text ?? null, streamed(60));
  assert.deepEqual(
    prompts(stateDir).map((p) => p.pid),
    [pid],
    'prompted once, by the same process',
  );
  assert.equal(keeperMetas(dataDir)[0]?.agentPid, pid);

  // The next message goes to the same agent process and its ACP session.
  const next = await send(b, conv.id, 'stream 3 1');
  const r2 = await finished(b, next.id);
  assert.equal(r2.session.status, 'completed');
  assert.equal(textOf(r2.events), streamed(3));
  assert.deepEqual(
    prompts(stateDir).map((p) => p.pid),
    [pid, pid],
  );
  await b.stop();
});
