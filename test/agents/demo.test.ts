import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEMO_ANSWER_TYPES } from '../helpers/demo.ts';
import { useServer } from '../helpers/server.ts';
import type { Json } from './helpers.ts';
import * as h from './helpers.ts';

// The built-in demo agent through the real HTTP API and a real server process.

describe('demo agent', () => {
  const s = useServer({
    env: { GMGUI_DEMO_STEP_MS: '1', GMGUI_DEMO_LONG_MS: '30000', GMGUI_DEMO_LONG_CHUNKS: '200' },
  });

  test('GET /api/agents lists the demo agent as available', async () => {
    const r = await s.api('GET', '/api/agents');
    assert.equal(r.status, 200);
    const demo = r.body.agents.find((a: Json) => a.id === 'demo');
    assert.equal(demo.available, true);
    assert.equal(demo.source, 'builtin');
    for (const a of r.body.agents)
      if (!a.available) assert.ok(a.reason, `${a.id} says why it is unavailable`);
  });

  test('a normal prompt streams every kind of update, waits for permission, and completes', async () => {
    const conv = await h.newConversation(s, 'demo');
    const session = await h.send(s, conv.id, 'Please tidy the notes');
    const ask = await h.eventOf(s, session.id, 'permission_requested');
    assert.deepEqual(
      ask.options.map((o: Json) => [o.optionId, o.kind]),
      [
        ['allow_once', 'allow_once'],
        ['allow_always', 'allow_always'],
        ['reject_once', 'reject_once'],
      ],
    );
    assert.equal(ask.toolCall.toolCallId, 'demo-edit');
    // The turn waits for a person: still processing.
    assert.equal((await h.getSession(s, session.id)).session.status, 'processing');

    const bad = await h.answerPermission(s, ask, 'nope');
    assert.equal(bad.status, 400);
    const ok = await h.answerPermission(s, ask, 'allow_once');
    assert.equal(ok.status, 200);
    const again = await h.answerPermission(s, ask, 'allow_once');
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'already_resolved');

    const { session: done, events } = await h.finished(s, session.id);
    assert.equal(done.status, 'completed');
    assert.equal(done.stopReason, 'end_turn');
    const types = new Set(events.map((e: Json) => e.type));
    for (const t of ['mode', 'commands', ...DEMO_ANSWER_TYPES, 'usage', 'done', 'message_created']) {
      assert.ok(types.has(t), `an event of type ${t}`);
    }
    const diff = events.find((e: Json) => e.type === 'tool_call' && e.kind === 'edit').content[0];
    assert.equal(diff.type, 'diff');
    assert.ok(diff.path.endsWith('NOTES.md'));
    const plans = events.filter((e: Json) => e.type === 'plan');
    assert.ok(plans.at(-1).entries.every((p: Json) => p.status === 'completed'));
    assert.equal(events.at(-1).type, 'session_updated');
    assert.equal(events.at(-1).status, 'completed');

    const messages = (await s.api('GET', `/api/conversations/${conv.id}/messages`)).body.messages;
    const answer = messages.find((m: Json) => m.role === 'assistant');
    assert.equal(answer.content.text, h.textOf(events), 'assistant text = concatenated text_delta');
    assert.ok(answer.content.text.includes('```markdown'));
    assert.equal(done.response.messageId, answer.id);
    const blockTypes = answer.content.blocks.map((b: Json) => b.type);
    assert.deepEqual([...new Set(blockTypes)].sort(), ['plan', 'text', 'thought', 'tool_call']);
    const edit = answer.content.blocks.find((b: Json) => b.toolCallId === 'demo-edit');
    assert.equal(edit.status, 'completed');

    // The same prompt gives the same answer: deterministic.
    const second = await h.send(s, conv.id, 'Please tidy the notes');
    const ask2 = await h.eventOf(s, second.id, 'permission_requested');
    await h.answerPermission(s, ask2, 'allow_once');
    const r2 = await h.finished(s, second.id);
    assert.equal(h.textOf(r2.events), h.textOf(events));
  });

  test('"allow always" is remembered for the conversation', async () => {
    const conv = await h.newConversation(s, 'demo');
    const first = await h.send(s, conv.id, 'edit please');
    const ask = await h.eventOf(s, first.id, 'permission_requested');
    const r = await h.answerPermission(s, ask, 'allow_always');
    assert.equal(r.status, 200);
    await h.finished(s, first.id);
    const c = (await s.api('GET', `/api/conversations/${conv.id}`)).body.conversation;
    assert.deepEqual(c.settings.allowAlways, ['kind:edit']);
    assert.equal(c.settings.autoApprove, false);

    const second = await h.send(s, conv.id, 'edit again');
    const { session, events } = await h.finished(s, second.id);
    assert.equal(session.status, 'completed');
    const resolved = events.find((e: Json) => e.type === 'permission_resolved');
    assert.equal(resolved.optionId, 'allow_always');
    assert.equal(resolved.automatic, true);
  });

  test('rejecting the permission lets the agent carry on without the edit', async () => {
    const conv = await h.newConversation(s, 'demo');
    const session = await h.send(s, conv.id, 'edit?');
    const ask = await h.eventOf(s, session.id, 'permission_requested');
    await h.answerPermission(s, ask, 'reject_once');
    const { session: done, events } = await h.finished(s, session.id);
    assert.equal(done.status, 'completed');
    assert.ok(events.some((e: Json) => e.type === 'tool_update' && e.status === 'failed'));
    assert.match(h.textOf(events), /declined the edit/);
  });

  test('cancel while a permission request waits: the request is answered cancelled, the session ends cancelled', async () => {
    const conv = await h.newConversation(s, 'demo');
    const session = await h.send(s, conv.id, 'do the edit');
    const ask = await h.eventOf(s, session.id, 'permission_requested');
    const c = await s.api('POST', `/api/sessions/${session.id}/cancel`);
    assert.equal(c.status, 202);
    const { session: done, events } = await h.finished(s, session.id);
    assert.equal(done.status, 'cancelled');
    const resolved = events.find(
      (e: Json) => e.type === 'permission_resolved' && e.requestId === ask.requestId,
    );
    assert.equal(resolved.outcome, 'cancelled');
    assert.equal(resolved.optionId, null);
    const late = await h.answerPermission(s, ask, 'allow_once');
    assert.equal(late.status, 409);
    const again = await s.api('POST', `/api/sessions/${session.id}/cancel`);
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'already_finished');
  });

  test('cancel a long answer mid-stream; the partial answer is kept; the next message works', async () => {
    const conv = await h.newConversation(s, 'demo');
    const session = await h.send(s, conv.id, '/long');
    await h.waitFor('a few chunks', async () => {
      const r = await h.getSession(s, session.id);
      return r.events.filter((e: Json) => e.type === 'text_delta').length >= 3;
    });
    assert.equal((await s.api('POST', `/api/sessions/${session.id}/cancel`)).status, 202);
    const { session: done, events } = await h.finished(s, session.id);
    assert.equal(done.status, 'cancelled');
    assert.equal(done.stopReason, 'cancelled');
    assert.equal(events.filter((e: Json) => e.type === 'done').at(-1).stopReason, 'cancelled');
    const partial = h.textOf(events);
    assert.ok(partial.startsWith('# A long answer'));
    assert.ok(!partial.includes('The end.'));
    const messages = (await s.api('GET', `/api/conversations/${conv.id}/messages`)).body.messages;
    assert.equal(messages.find((m: Json) => m.role === 'assistant').content.text, partial);

    const next = await h.send(s, conv.id, '/quick');
    assert.equal((await h.finished(s, next.id)).session.status, 'completed');
  });

  test('cancel errors: unknown session 404', async () => {
    const r = await s.api('POST', '/api/sessions/sess_nope/cancel');
    assert.equal(r.status, 404);
    const p = await s.api('POST', '/api/sessions/sess_nope/permissions/perm_nope', { optionId: 'x' });
    assert.equal(p.status, 404);
    const conv = await h.newConversation(s, 'demo');
    const session = await h.send(s, conv.id, '/quick');
    await h.finished(s, session.id);
    const bad = await s.api('POST', `/api/sessions/${session.id}/permissions/perm_x`, { option: 1 });
    assert.equal(bad.status, 400);
  });

  test('two messages queue in order; a queued one can be cancelled before it starts', async () => {
    const conv = await h.newConversation(s, 'demo');
    const first = await h.send(s, conv.id, '/long');
    const second = await h.send(s, conv.id, '/quick one');
    const third = await h.send(s, conv.id, '/quick two');
    assert.equal(second.status, 'pending');
    await h.eventOf(s, first.id, 'text_delta');
    assert.equal((await h.getSession(s, second.id)).session.status, 'pending', 'waits while the first runs');
    const c = await s.api('POST', `/api/sessions/${second.id}/cancel`);
    assert.equal(c.status, 200);
    assert.equal(c.body.session.status, 'cancelled');
    await s.api('POST', `/api/sessions/${first.id}/cancel`);
    const a = await h.finished(s, first.id);
    const b = await h.finished(s, third.id);
    assert.equal(b.session.status, 'completed');
    assert.ok(b.session.started_at >= a.session.completed_at, 'the third starts after the first ended');
    assert.equal(
      (await h.getSession(s, second.id)).events.filter((e: Json) => e.type === 'text_delta').length,
      0,
    );
    const texts = (await s.api('GET', `/api/conversations/${conv.id}/messages`)).body.messages.map(
      (m: Json) => (typeof m.content === 'string' ? m.content : m.content.text),
    );
    assert.deepEqual(texts.slice(0, 3), ['/long', '/quick one', '/quick two']);
    assert.equal(texts.at(-1), 'Quick answer: **ok**.');
  });

  test('/xss text is stored verbatim (sanitizing is the renderer’s job)', async () => {
    const conv = await h.newConversation(s, 'demo');
    const session = await h.send(s, conv.id, '/xss');
    const { events } = await h.finished(s, session.id);
    const t = h.textOf(events);
    assert.ok(t.includes('<img src=x onerror="window.__xss=1">'));
    assert.ok(t.includes('<script>window.__xss=2</script>'));
  });

  test('after a turn, GET /api/agents shows what the demo agent said about itself', async () => {
    const demo = (await s.api('GET', '/api/agents')).body.agents.find((a: Json) => a.id === 'demo');
    assert.equal(demo.capabilities.loadSession, true);
    assert.equal(demo.version, '1.0.0');
  });
});
