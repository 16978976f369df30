import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { assertError } from '../helpers/api-assert.ts';
import { type ServerHandle, useServer } from '../helpers/server.ts';
import {
  answerPermission,
  conversation,
  eventOf,
  finished,
  type Json,
  newConversation,
  send,
  textOf,
  toolsAgent,
} from './helpers.ts';

// Approvals you can see (issue 11), with a real agent process (test/fixtures/agents/tools-agent.ts):
// the permission request carries the diff and paths of the call even when the agent named only its
// id, and the command line of a shell call it never announced; each answer records who decided; a
// refused call is marked rejected; "always allow" rules are listed and revoked through the API.

/** Sends `prompt` and answers its permission request with `optionId` (unless the settings did). */
async function askAndAnswer(s: ServerHandle, conversationId: string, prompt: string, optionId?: string) {
  const session = await send(s, conversationId, prompt);
  const ask = await eventOf(s, session.id, 'permission_requested');
  if (optionId) assert.equal((await answerPermission(s, ask, optionId)).status, 200);
  const done = await finished(s, session.id);
  return { ask, ...done };
}

describe('approvals you can see', () => {
  const s = useServer({ env: withAgentsFile([toolsAgent('tools', 'tools')]) });

  test('an edit: the request shows the diff it did not repeat; a refusal is recorded and marks the call rejected', async () => {
    const c = await newConversation(s, 'tools');
    const path = join(c.cwd, 'a.txt');
    const { ask, session, events } = await askAndAnswer(s, c.id, `edit ${path}`, 'reject');
    assert.deepEqual(ask.toolCall.content, [
      { type: 'diff', path, oldText: 'old line\n', newText: 'new line\n' },
    ]);
    assert.deepEqual(ask.toolCall.locations, [{ path }]);
    assert.equal(ask.toolCall.kind, 'edit');
    assert.deepEqual(ask.paths, [path]);
    assert.equal(ask.command, undefined);
    assert.equal(session.status, 'completed');
    assert.equal(textOf(events), 'answer: reject');
    const resolved = events.find((e: Json) => e.type === 'permission_resolved');
    assert.deepEqual(
      { decidedBy: resolved.decidedBy, optionKind: resolved.optionKind, optionName: resolved.optionName },
      { decidedBy: 'user', optionKind: 'reject_once', optionName: 'Reject' },
    );
    assert.equal(resolved.automatic, undefined);
    const updates = events.filter((e: Json) => e.type === 'tool_update' && e.toolCallId === 'edit-1');
    assert.ok(
      updates.some((e: Json) => e.rejected === true && e.status === undefined),
      'marked at the answer',
    );
    assert.equal(
      updates.find((e: Json) => e.status === 'failed').rejected,
      true,
      "the agent's failure is a rejection",
    );
    const message = (await s.api('GET', `/api/conversations/${c.id}/messages`)).body.messages.at(-1);
    const block = message.content.blocks.find((b: Json) => b.type === 'tool_call');
    assert.equal(block.rejected, true);
  });

  test('a shell call asked without a tool call before it; always allow becomes a rule, listed, used, revoked', async () => {
    const c = await newConversation(s, 'tools');
    const first = await askAndAnswer(s, c.id, 'shell', 'always');
    assert.equal(first.ask.command, `bash -lc 'ls -la "my dir"'`);
    assert.deepEqual(first.ask.toolCall.content, [
      { type: 'content', content: { type: 'text', text: 'Lists the folder.' } },
    ]);
    assert.equal(textOf(first.events), 'answer: always');

    const rules = (await s.api('GET', '/api/permissions/rules')).body.rules.filter(
      (r: Json) => r.conversationId === c.id,
    );
    assert.equal(rules.length, 1);
    assert.deepEqual(
      { ...rules[0], id: undefined },
      {
        id: undefined,
        conversationId: c.id,
        conversationTitle: c.title,
        key: 'kind:execute',
        label: 'Always allow execute tools',
      },
    );
    const mine = (await s.api('GET', `/api/permissions/rules?conversationId=${c.id}`)).body.rules;
    assert.deepEqual(mine, rules);

    // The rule answers the next request; the thread says so.
    const second = await send(s, c.id, 'shell');
    const auto = await finished(s, second.id);
    assert.equal(textOf(auto.events), 'answer: always');
    const byRule = auto.events.find((e: Json) => e.type === 'permission_resolved');
    assert.deepEqual(
      { decidedBy: byRule.decidedBy, ruleId: byRule.ruleId, rule: byRule.rule, automatic: byRule.automatic },
      { decidedBy: 'rule', ruleId: rules[0].id, rule: 'kind:execute', automatic: true },
    );

    // Revoked: the next request waits for a person again.
    const del = await s.api('DELETE', `/api/permissions/rules/${rules[0].id}`);
    assert.equal(del.status, 200, del.text);
    assert.deepEqual(del.body.conversation.settings.allowAlways, []);
    assertError(await s.api('DELETE', `/api/permissions/rules/${rules[0].id}`), 404, 'not_found');
    const third = await askAndAnswer(s, c.id, 'shell', 'allow');
    assert.equal(third.events.find((e: Json) => e.type === 'permission_resolved').decidedBy, 'user');

    // The auto-approve switch: decided by `auto`.
    const patched = await s.api('PATCH', `/api/conversations/${c.id}`, { settings: { autoApprove: true } });
    assert.equal(patched.status, 200, patched.text);
    const fourth = await finished(s, (await send(s, c.id, 'shell')).id);
    assert.equal(fourth.events.find((e: Json) => e.type === 'permission_resolved').decidedBy, 'auto');
    assert.equal((await conversation(s, c.id)).settings.autoApprove, true);
  });
});
