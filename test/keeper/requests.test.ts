import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerPermission } from '../helpers/calls.ts';
import {
  type Json,
  eventOf,
  finished,
  getSession,
  newConversation,
  send,
  textOf,
  waitFor,
} from '../agents/helpers.ts';
import { keeperSetting, prompts, streamed } from './helpers.ts';

// What the agent asked and what the user asks keep working across a restart (docs/DESIGN.md
// "Process model"): a permission request pending when the server was killed is asked again by the
// new server and its answer reaches the agent; Stop on a turn that outlived a restart cancels it.

const { stateDir, boot } = keeperSetting();

test('a permission request pending at kill -9 is answered after the restart', async () => {
  const a = await boot();
  const conv = await newConversation(a, 'slow');
  const s = await send(a, conv.id, 'ask stream 5 10');
  const first = await eventOf(a, s.id, 'permission_requested');
  await a.kill9();

  const b = await boot();
  // The dead server's copy is closed; the agent's request, still unanswered, is asked again.
  const again = await eventOf(b, s.id, 'permission_requested', (e: Json) => e.requestId !== first.requestId);
  const old = await answerPermission(b, first, 'allow');
  assert.notEqual(old.status, 200, 'the dead server copy cannot be answered');
  const r = await answerPermission(b, again, 'allow');
  assert.equal(r.status, 200, r.text);
  const done = await finished(b, s.id);
  assert.equal(done.session.status, 'completed', JSON.stringify(done.session));
  assert.equal(textOf(done.events), `allowed ${streamed(5)}`);
  assert.equal(
    done.events.filter((e: Json) => e.type === 'tool_call').length,
    1,
    'the tool call stored once',
  );
  assert.equal(prompts(stateDir).length, 1);
  await b.stop();
});

test('Stop on a turn that outlived a restart cancels it at the agent', async () => {
  const a = await boot();
  const conv = await newConversation(a, 'slow');
  const s = await send(a, conv.id, 'stream 600 50');
  await waitFor('streaming', async () => textOf((await getSession(a, s.id)).events).length > 0);
  await a.kill9();

  const b = await boot();
  await waitFor('streaming again', async () => {
    const r = await getSession(b, s.id);
    return textOf(r.events).includes('c40 ');
  });
  const stop = await b.api('POST', `/api/sessions/${s.id}/cancel`);
  assert.ok(stop.status < 300, stop.text);
  const done = await finished(b, s.id);
  assert.equal(done.session.status, 'cancelled', JSON.stringify(done.session));
  const text = textOf(done.events);
  assert.ok(text.startsWith(streamed(40)) && !text.includes('c599 '), text.slice(-40));
  await b.stop();
});
