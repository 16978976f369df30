import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Json, newConversation, textOf, turn, waitFor } from '../agents/helpers.ts';
import { type TestServer, startServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';
import { agentEntry, findAgent, isolatedHome, killMarked } from './agents.ts';
import { claudeOfflineEnv, type FakeClaudeModel, startFakeClaudeModel } from './fake-anthropic-script.ts';

// The real Claude Code adapter, offline (the fake Anthropic endpoint on loopback, as claude.test.ts):
// a session it made is in the list it gives gmgui (ACP session/list), bound to the conversation that
// made it; once that conversation is deleted, importing the session (session/load) makes a new
// conversation with its history, and the next message goes on in the same Claude session; a fork at
// its end forks Claude's session (session/fork).

const found = findAgent('claude');

describe('Claude Code: its own sessions, listed and imported', { skip: found.skip }, () => {
  let s: TestServer;
  let model: FakeClaudeModel;
  let mark = '';
  const rootDir = realpathSync(tempDir('gmgui-interop-claude-sessions-root-'));

  before(async () => {
    const agent = found.agent;
    if (!agent) return;
    const { home, env: homeEnv } = isolatedHome('claude-sessions');
    mark = homeEnv.INTEROP_TEST_RUN;
    model = await startFakeClaudeModel(rootDir);
    const env = { ...homeEnv, ...(await claudeOfflineEnv(model.url, home)) };
    const agentsFile = join(tempDir('gmgui-interop-claude-sessions-agents-'), 'agents.json');
    await writeFile(
      agentsFile,
      JSON.stringify({ agents: [agentEntry('claude', 'Claude Code', agent, env)] }),
    );
    s = await startServer({ rootDir, env: { GMGUI_AGENTS_FILE: agentsFile } });
  });

  after(async () => {
    await s?.stop();
    await s?.cleanup();
    if (mark) killMarked(mark);
    await model?.close();
  });

  const list = async (): Promise<Json[]> => {
    const r = await s.api('GET', `/api/agents/claude/sessions?cwd=${encodeURIComponent(rootDir)}`);
    assert.equal(r.status, 200, r.text);
    return r.body.sessions;
  };

  test('a session Claude made is listed, imported with its history, and continued', {
    timeout: 300_000,
  }, async () => {
    const conv = await newConversation(s, 'claude');
    const first = await turn(s, conv.id, 'remember the word apricot');
    assert.equal(textOf(first.events), 'You said: remember the word apricot');
    const acpId = (await s.api('GET', `/api/conversations/${conv.id}`)).body.conversation.acpSessionId;
    assert.ok(acpId);

    const listed = await waitFor('the session in Claude’s list', async () =>
      (await list()).find((x) => x.sessionId === acpId),
    );
    assert.equal(listed.conversationId, conv.id, 'bound to the conversation that made it');
    assert.equal(listed.cwd, rootDir);

    // The conversation goes; the Claude session stays, and is imported as a new conversation.
    assert.equal((await s.api('DELETE', `/api/conversations/${conv.id}`)).status, 200);
    const r = await s.api('POST', '/api/agents/claude/sessions/import', { sessionId: acpId, cwd: rootDir });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.how, 'loaded');
    const imported = r.body.conversation;
    assert.notEqual(imported.id, conv.id);
    assert.equal(imported.acpSessionId, acpId);
    const messages = (await s.api('GET', `/api/conversations/${imported.id}/messages`)).body.messages;
    const texts = messages.map((m: Json) => [
      m.role,
      typeof m.content === 'string' ? m.content : m.content.text,
    ]);
    assert.deepEqual(texts, [
      ['user', 'remember the word apricot'],
      ['assistant', 'You said: remember the word apricot'],
    ]);

    // The next message goes to the same Claude session: the model sees the earlier turn.
    const next = await turn(s, imported.id, 'what was the word?');
    assert.equal(textOf(next.events), 'You said: what was the word?');
    const lastCall = model.calls.filter((c) => c.prompt === 'what was the word?').at(-1);
    assert.ok(JSON.stringify(lastCall?.body).includes('apricot'), 'the model got the earlier history');
    assert.equal(
      (await s.api('GET', `/api/conversations/${imported.id}`)).body.conversation.acpSessionId,
      acpId,
    );

    // A fork at the end forks Claude's session: the fork's model calls carry the history too.
    const msgs = (await s.api('GET', `/api/conversations/${imported.id}/messages`)).body.messages;
    const fork = await s.api('POST', `/api/conversations/${imported.id}/fork`, { messageId: msgs.at(-1).id });
    assert.equal(fork.status, 201, fork.text);
    assert.equal(fork.body.forkedAgentSession, true, JSON.stringify(fork.body));
    assert.notEqual(fork.body.conversation.acpSessionId, acpId);
    const inFork = await turn(s, fork.body.conversation.id, 'and in the fork?');
    assert.equal(textOf(inFork.events), 'You said: and in the fork?');
    const forkCall = model.calls.filter((c) => c.prompt === 'and in the fork?').at(-1);
    assert.ok(JSON.stringify(forkCall?.body).includes('apricot'), 'the forked session has the history');

    const again = await s.api('POST', '/api/agents/claude/sessions/import', {
      sessionId: acpId,
      cwd: rootDir,
    });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.conversation.id, imported.id);
  });
});
