import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finished, getSession, newConversation, send, sleep, textOf, waitFor } from '../agents/helpers.ts';
import { copyOfBuild, keeperSetting, prompts, startBuild, streamed } from './helpers.ts';

// More ways a server goes while a turn streams (docs/DESIGN.md "Process model"): a graceful stop
// (SIGTERM, what `gmgui stop` sends), two kill -9 in one answer, and an upgrade (another build of the
// server started on the same data dir). Each time the same agent process finishes the same turn.

const { dataDir, rootDir, stateDir, env, servers, boot } = keeperSetting();
const textLength = async (s: Parameters<typeof getSession>[0], id: string) =>
  textOf((await getSession(s, id)).events).length;

/** A turn of the slow agent streaming `chunks` chunks, once its first text is stored. */
async function streaming(
  a: Parameters<typeof getSession>[0],
  chunks: number,
): Promise<{ id: string; conversationId: string }> {
  const conv = await newConversation(a, 'slow');
  const s = await send(a, conv.id, `stream ${chunks} 100`);
  await waitFor('streaming', async () => (await textLength(a, s.id)) > 0);
  return { id: s.id, conversationId: conv.id };
}

/** The turn finishes on `server` whole, every chunk once, from the one prompt sent since `before`. */
async function finishedOnce(
  server: Parameters<typeof getSession>[0],
  sessionId: string,
  chunks: number,
  before: number,
): Promise<Array<{ pid: number; prompt: string }>> {
  const r = await finished(server, sessionId, 30_000);
  assert.equal(r.session.status, 'completed', JSON.stringify(r.session));
  assert.equal(textOf(r.events), streamed(chunks));
  const mine = prompts(stateDir).slice(before);
  assert.equal(mine.length, 1, 'prompted once');
  return mine;
}

test('SIGTERM mid-answer: the turn is left to its keeper and finished by the next server', async () => {
  const before = prompts(stateDir).length;
  // Started directly (not through npm), so its own exit code is seen.
  const a = await servers.start({ dataDir, rootDir, env });
  const s = await streaming(a, 40);
  assert.equal(await a.stop(), 0, 'a clean exit');
  await sleep(500);
  const b = await boot();
  const mine = await finishedOnce(b, s.id, 40, before);
  await b.stop();
  // An idle kept agent: the conversation's next message, on the next server, goes to it.
  const c = await boot();
  const next = await finished(c, (await send(c, s.conversationId, 'stream 2 1')).id);
  assert.equal(next.session.status, 'completed', JSON.stringify(next.session));
  assert.equal(textOf(next.events), streamed(2));
  assert.deepEqual(
    prompts(stateDir)
      .slice(before)
      .map((p) => p.pid),
    [mine[0].pid, mine[0].pid],
    'the same agent process',
  );
  await c.stop();
});

test('killed twice in one answer: still every chunk once', async () => {
  const before = prompts(stateDir).length;
  const a = await boot();
  // Long enough (15 s) that the turn still streams when the second server is up, even on a busy machine.
  const s = await streaming(a, 150);
  await a.kill9();
  await sleep(700);
  const b = await boot();
  const seen = await textLength(b, s.id);
  await waitFor('streaming on b', async () => (await textLength(b, s.id)) > seen);
  await b.kill9();
  await sleep(700);
  const c = await boot();
  await finishedOnce(c, s.id, 150, before);
  await c.stop();
});

test('an upgrade: another build started on the data dir finishes the turn', async () => {
  const before = prompts(stateDir).length;
  const a = await boot();
  const s = await streaming(a, 40);
  await a.stop();
  const b = await startBuild(copyOfBuild(), a, env);
  await finishedOnce(b, s.id, 40, before);
  await b.killGroup('SIGTERM');
});
