import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tsAgent, withAgentsFile } from '../helpers/agents-file.ts';
import { useServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';
import {
  type Json,
  conversationEvents,
  fixtureAgent,
  getSession,
  newConversation,
  textOf,
  turn,
} from '../agents/helpers.ts';

// The agent's own sessions (issue 15, CONTRACT section 13) with a real agent process over ACP: the
// fixture history-agent.ts keeps three sessions on disk. Listed (paged), one imported (its history
// stored once, in order, in one transaction), continued in the same agent session, imported again
// (the same conversation), forked (session/fork at the end, a fresh session from the middle).

const AGENT = join(import.meta.dirname, '..', 'fixtures', 'agents', 'history-agent.ts');
const rootDir = realpathSync(tempDir('gmgui-agent-sessions-root-'));
const stateDir = join(tempDir('gmgui-agent-sessions-state-'), 'agent');
const outside = realpathSync(tempDir('gmgui-agent-sessions-out-'));
symlinkSync(outside, join(rootDir, 'leads-out'));
mkdirSync(join(rootDir, 'other'));

const s = useServer({
  rootDir,
  env: withAgentsFile([
    tsAgent('hist', 'History', AGENT, [], { FIXTURE_STATE_DIR: stateDir, FIXTURE_SESSIONS_CWD: rootDir }),
    // Loads sessions but does not list them.
    fixtureAgent('loadable', 'loadable', { FIXTURE_STATE_DIR: join(stateDir, '..', 'loadable') }),
  ]),
});

const calls = () => readFileSync(join(stateDir, 'calls.log'), 'utf8').trim().split('\n');
const q = (cwd: string) => encodeURIComponent(cwd);

/** Every session the agent lists in `cwd`, following its cursor; and how many pages that took. */
async function listAll(cwd: string): Promise<{ sessions: Json[]; pages: number[] }> {
  const sessions: Json[] = [];
  const pages: number[] = [];
  let cursor: string | null = null;
  do {
    const r = await s.api(
      'GET',
      `/api/agents/hist/sessions?cwd=${q(cwd)}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    assert.equal(r.status, 200, r.text);
    sessions.push(...r.body.sessions);
    pages.push(r.body.sessions.length);
    cursor = r.body.nextCursor;
  } while (cursor);
  return { sessions, pages };
}

test('lists the three sessions of the agent, paged, with title and time', async () => {
  const { sessions, pages } = await listAll(rootDir);
  assert.deepEqual(pages, [2, 1], 'the agent pages two at a time');
  assert.deepEqual(
    sessions.map((x) => [x.sessionId, x.title, x.updatedAt, x.cwd, x.conversationId]),
    [
      ['hist-parser', 'Fix the parser', '2026-11-30T10:00:00.000Z', rootDir, null],
      ['hist-readme', 'Write the README', '2026-11-29T10:00:00.000Z', rootDir, null],
      ['hist-old', 'An old experiment', '2026-11-01T10:00:00.000Z', rootDir, null],
    ],
  );
  const other = await s.api('GET', `/api/agents/hist/sessions?cwd=${q(join(rootDir, 'other'))}`);
  assert.deepEqual(other.body, { sessions: [], nextCursor: null });
});

test('bad folders, unknown agents and agents that do not list are 4xx with a code', async () => {
  const out = await s.api('GET', `/api/agents/hist/sessions?cwd=${q(outside)}`);
  assert.equal(out.status, 403);
  assert.equal(out.body.code, 'outside_roots');
  const link = await s.api('GET', `/api/agents/hist/sessions?cwd=${q(join(rootDir, 'leads-out'))}`);
  assert.equal(link.status, 403, 'a link that leads out');
  const missing = await s.api('GET', `/api/agents/hist/sessions?cwd=${q(join(rootDir, 'nope'))}`);
  assert.equal(missing.status, 400);
  assert.equal(missing.body.code, 'folder_not_found');
  const unknown = await s.api('GET', '/api/agents/nobody/sessions');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.code, 'not_found');
  const noList = await s.api('GET', `/api/agents/loadable/sessions?cwd=${q(rootDir)}`);
  assert.equal(noList.status, 400, noList.text);
  assert.equal(noList.body.code, 'agent_sessions_unsupported');
  const badImport = await s.api('POST', '/api/agents/hist/sessions/import', { sessionId: 7 });
  assert.equal(badImport.status, 400);
  assert.equal(badImport.body.code, 'invalid_request');
  const unknownSession = await s.api('POST', '/api/agents/hist/sessions/import', {
    sessionId: 'hist-nothing',
    cwd: rootDir,
  });
  assert.equal(unknownSession.status, 422, unknownSession.text);
  assert.equal(unknownSession.body.code, 'agent_session_refused');
  const outImport = await s.api('POST', '/api/agents/hist/sessions/import', {
    sessionId: 'hist-old',
    cwd: outside,
  });
  assert.equal(outImport.status, 403);
  const conversations = (await s.api('GET', '/api/conversations')).body.conversations;
  assert.equal(conversations.length, 0, 'nothing was stored by the refused requests');
});

test('an imported session: its history once, in order, in one transaction; then continued in it', async () => {
  const r = await s.api('POST', '/api/agents/hist/sessions/import', {
    sessionId: 'hist-parser',
    cwd: rootDir,
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.created, true);
  assert.equal(r.body.how, 'loaded');
  const conv = r.body.conversation;
  assert.equal(conv.acpSessionId, 'hist-parser');
  assert.equal(conv.title, 'Fix the parser', 'the title the agent gave');
  assert.equal(conv.cwd, rootDir);

  const messages = (await s.api('GET', `/api/conversations/${conv.id}/messages`)).body.messages;
  assert.deepEqual(
    messages.map((m: Json) => [m.role, typeof m.content === 'string' ? m.content : m.content.text]),
    [
      ['user', 'Why does the parser fail on empty input?'],
      ['assistant', 'It reads the first token without checking. Fixed: it checks the length first.'],
      ['user', 'Add a test.'],
      ['assistant', 'Added test/parser.test.ts.'],
    ],
  );
  const blocks = messages[1].content.blocks.map((b: Json) => b.type);
  assert.deepEqual(blocks, ['thought', 'text', 'tool_call', 'text']);
  assert.equal(messages[1].content.blocks[2].status, 'completed');

  // One transaction: every event of the conversation has the same time and consecutive seqs.
  const events = await conversationEvents(s, conv.id);
  assert.equal(events[0].type, 'conversation_created');
  assert.equal(new Set(events.map((e: Json) => e.created_at)).size, 1);
  assert.deepEqual(
    events.map((e: Json) => e.seq),
    events.map((_e: Json, i: number) => events[0].seq + i),
  );
  assert.equal(events.filter((e: Json) => e.type === 'message_created').length, 4, 'each message once');
  assert.equal(events.filter((e: Json) => e.type === 'tool_call').length, 1);
  assert.ok(!events.some((e: Json) => e.type === 'commands' || e.type === 'user_chunk'), 'only history');
  const sessions = (await s.api('GET', `/api/conversations/${conv.id}/sessions`)).body.sessions;
  assert.deepEqual(
    sessions.map((x: Json) => x.status),
    ['completed', 'completed'],
  );

  // The next message goes on in the same agent session, which knows the two earlier turns.
  const next = await turn(s, conv.id, 'and now?');
  assert.equal(textOf(next.events), 'session hist-parser turn 3: and now?');
  assert.ok(
    !next.events.some((e: Json) => e.type === 'user_chunk' || e.type === 'tool_call'),
    'no replay stored',
  );
  const after = (await s.api('GET', `/api/conversations/${conv.id}/messages`)).body.messages;
  assert.equal(after.length, 6);
  assert.ok(calls().includes('session/prompt hist-parser'));
  assert.ok(!calls().some((c) => c.startsWith('session/new')), 'no new agent session');

  // Imported again: the same conversation, nothing added, no agent started.
  const loadsBefore = calls().filter((c) => c.startsWith('session/load')).length;
  const again = await s.api('POST', '/api/agents/hist/sessions/import', {
    sessionId: 'hist-parser',
    cwd: rootDir,
  });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.created, false);
  assert.equal(again.body.conversation.id, conv.id);
  assert.equal(calls().filter((c) => c.startsWith('session/load')).length, loadsBefore);
  assert.equal((await s.api('GET', `/api/conversations/${conv.id}/messages`)).body.messages.length, 6);
  const listed = (await listAll(rootDir)).sessions;
  assert.equal(listed.find((x) => x.sessionId === 'hist-parser')?.conversationId, conv.id);
});

test('two imports of one session at once make one conversation', async () => {
  const body = { sessionId: 'hist-readme', cwd: rootDir };
  const [a, b] = await Promise.all([
    s.api('POST', '/api/agents/hist/sessions/import', body),
    s.api('POST', '/api/agents/hist/sessions/import', body),
  ]);
  assert.deepEqual([a.status, b.status].sort(), [200, 201], `${a.text} ${b.text}`);
  assert.equal(a.body.conversation.id, b.body.conversation.id);
  const all = (await s.api('GET', '/api/conversations')).body.conversations;
  assert.equal(all.filter((c: Json) => c.acpSessionId === 'hist-readme').length, 1);
});

test('a fork at the end forks the agent session; from the middle it starts a fresh one', async () => {
  const imported = await s.api('POST', '/api/agents/hist/sessions/import', {
    sessionId: 'hist-old',
    cwd: rootDir,
  });
  const conv = imported.body.conversation;
  await turn(s, conv.id, 'second');
  const messages = (await s.api('GET', `/api/conversations/${conv.id}/messages`)).body.messages;
  assert.equal(messages.length, 4);

  const atEnd = await s.api('POST', `/api/conversations/${conv.id}/fork`, {
    messageId: messages[3].id,
    idempotencyKey: 'fork-1',
  });
  assert.equal(atEnd.status, 201, atEnd.text);
  assert.equal(atEnd.body.forkedAgentSession, true);
  const forked = atEnd.body.conversation;
  assert.match(forked.acpSessionId, /^hist-fork-/);
  assert.equal(forked.title, 'An old experiment (fork)');
  const copied = (await s.api('GET', `/api/conversations/${forked.id}/messages`)).body.messages;
  assert.deepEqual(
    copied.map((m: Json) => (typeof m.content === 'string' ? m.content : m.content.text)),
    messages.map((m: Json) => (typeof m.content === 'string' ? m.content : m.content.text)),
  );
  assert.ok(
    copied.every((m: Json) => !messages.some((o: Json) => o.id === m.id)),
    'new ids',
  );
  // The fork goes on in its own agent session, which remembers both turns; the original is untouched.
  const next = await turn(s, forked.id, 'in the fork');
  assert.equal(textOf(next.events), `session ${forked.acpSessionId} turn 3: in the fork`);
  assert.equal((await s.api('GET', `/api/conversations/${conv.id}/messages`)).body.messages.length, 4);
  // The same key again: the same answer, no second fork.
  const forksBefore = calls().filter((c) => c.startsWith('session/fork')).length;
  const replay = await s.api('POST', `/api/conversations/${conv.id}/fork`, {
    messageId: messages[3].id,
    idempotencyKey: 'fork-1',
  });
  assert.equal(replay.status, 201);
  assert.equal(replay.body.conversation.id, forked.id);
  assert.equal(calls().filter((c) => c.startsWith('session/fork')).length, forksBefore);

  // From the first answer: the history up to it, and a fresh agent session on the first send.
  const middle = await s.api('POST', `/api/conversations/${conv.id}/fork`, { messageId: messages[1].id });
  assert.equal(middle.status, 201, middle.text);
  assert.equal(middle.body.forkedAgentSession, false);
  assert.equal(middle.body.freshReason, 'not_latest');
  assert.equal(middle.body.conversation.acpSessionId, null);
  const early = (await s.api('GET', `/api/conversations/${middle.body.conversation.id}/messages`)).body
    .messages;
  assert.deepEqual(
    early.map((m: Json) => m.role),
    ['user', 'assistant'],
  );
  const fresh = await turn(s, middle.body.conversation.id, 'edited question');
  assert.match(textOf(fresh.events), /^session hist-new-[\w-]+ turn 1: edited question$/);

  const unknown = await s.api('POST', `/api/conversations/${conv.id}/fork`, { messageId: 'msg_nope' });
  assert.equal(unknown.status, 404);
  const other = await s.api('POST', `/api/conversations/${forked.id}/fork`, { messageId: messages[0].id });
  assert.equal(other.status, 404, 'a message of another conversation');
  const noConv = await s.api('POST', '/api/conversations/conv_nope/fork', { messageId: messages[0].id });
  assert.equal(noConv.status, 404);
});

test('a fork of a conversation whose agent cannot fork starts a fresh agent session', async () => {
  const conv = await newConversation(s, 'loadable');
  await turn(s, conv.id, 'one');
  const messages = (await s.api('GET', `/api/conversations/${conv.id}/messages`)).body.messages;
  const r = await s.api('POST', `/api/conversations/${conv.id}/fork`, { messageId: messages[1].id });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.forkedAgentSession, false);
  assert.equal(r.body.freshReason, 'not_offered');
  const { session } = await getSession(s, (await turn(s, r.body.conversation.id, 'two')).session.id);
  assert.equal(session.status, 'completed');
});

test('a session is deleted from the agent list', async () => {
  const del = await s.api('DELETE', `/api/agents/hist/sessions/hist-old?cwd=${q(rootDir)}`);
  assert.equal(del.status, 200, del.text);
  const { sessions } = await listAll(rootDir);
  assert.ok(sessions.some((x: Json) => x.sessionId === 'hist-parser'));
  assert.ok(!sessions.some((x: Json) => x.sessionId === 'hist-old'));
  // ACP makes deleting idempotent: a session already gone is deleted too.
  const again = await s.api('DELETE', `/api/agents/hist/sessions/hist-old?cwd=${q(rootDir)}`);
  assert.equal(again.status, 200, again.text);
  assert.ok(calls().filter((c) => c === 'session/delete hist-old').length === 2);
  const outside = await s.api(
    'DELETE',
    `/api/agents/hist/sessions/hist-readme?cwd=${q(join(rootDir, 'leads-out'))}`,
  );
  assert.equal(outside.status, 403);
});
