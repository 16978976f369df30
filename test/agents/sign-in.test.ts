import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { describe, test } from 'node:test';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { assertError } from '../helpers/api-assert.ts';
import { type ServerHandle, useServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';
import { finished, type Json, newConversation, send, sessionAgent, TSX, textOf } from './helpers.ts';

// Signing an agent in (issue 11) with a real agent process (test/fixtures/agents/session-agent.ts
// "auth": it refuses session/new with ACP auth_required until `authenticate` ran, and remembers the
// sign-in on disk like real agents): GET /api/agents says it needs signing in and how, a turn ends
// `error` with errorCode auth_required, POST /api/agents/{id}/authenticate signs it in, and a retry
// works.

const agentOf = async (s: ServerHandle, id: string): Promise<Json> =>
  (await s.api('GET', '/api/agents')).body.agents.find((a: Json) => a.id === id);
const authenticate = (s: ServerHandle, id: string, body: unknown) =>
  s.api('POST', `/api/agents/${id}/authenticate`, body);

describe('signing an agent in', () => {
  const state = tempDir('gmgui-auth-state-');
  const entry = sessionAgent('locked', 'auth', { FIXTURE_STATE_DIR: state });
  // Only this agent and the demo: no agent found on the developer's PATH is started by the probe.
  const s = useServer({
    env: { ...withAgentsFile([entry]), PATH: `${dirname(process.execPath)}:/usr/bin:/bin` },
  });

  test('unknown until probed; then its methods, a terminal one with the exact command', async () => {
    const before = await agentOf(s, 'locked');
    assert.equal(before.needsSignIn, null);
    assert.equal(before.authMethods, undefined);
    const r = await s.api('GET', '/api/agents?probe=1');
    assert.equal(r.status, 200, r.text);
    const locked = r.body.agents.find((a: Json) => a.id === 'locked');
    assert.equal(locked.needsSignIn, true);
    const args = ['--import', TSX, entry.args[2], 'auth', '--login'];
    assert.deepEqual(locked.authMethods, [
      { id: 'token', name: 'Token', description: 'Sign in with the test token', type: 'agent' },
      { id: 'bad', name: 'Bad', description: null, type: 'agent' },
      {
        id: 'cli',
        name: 'Log in from a terminal',
        description: null,
        type: 'terminal',
        terminal: {
          command: process.execPath,
          args,
          env: { LOGIN_MODE: 'cli' },
          commandLine: `LOGIN_MODE=cli ${process.execPath} ${args.join(' ')}`,
        },
      },
    ]);
    assert.equal(r.body.agents.find((a: Json) => a.id === 'demo').needsSignIn, false);
  });

  test('a refused turn ends error with errorCode auth_required; sign-in through the API; a retry works', async () => {
    const c = await newConversation(s, 'locked');
    const session = await send(s, c.id, 'hello');
    const failed = await finished(s, session.id);
    assert.equal(failed.session.status, 'error');
    assert.equal(failed.session.errorCode, 'auth_required');
    assert.match(failed.session.error, /needs you to sign in/);
    assert.equal(failed.events.find((e: Json) => e.type === 'error').errorCode, 'auth_required');
    const updated = failed.events.filter((e: Json) => e.type === 'session_updated').at(-1);
    assert.equal(updated.errorCode, 'auth_required');
    assertError(await s.api('POST', `/api/conversations/${c.id}/agent-session`), 409, 'auth_required');

    assertError(await authenticate(s, 'locked', { methodId: 'nope' }), 400, 'unknown_auth_method');
    const term = await authenticate(s, 'locked', { methodId: 'cli' });
    assertError(term, 400, 'terminal_sign_in');
    assert.ok(term.body.error.includes(`LOGIN_MODE=cli ${process.execPath}`), term.body.error);
    const bad = await authenticate(s, 'locked', { methodId: 'bad' });
    assertError(bad, 422, 'auth_failed');
    assert.match(bad.body.error, /The password is wrong\./);
    assertError(await authenticate(s, 'missing-agent', { methodId: 'token' }), 404, 'not_found');
    assertError(await authenticate(s, 'locked', {}), 400, 'invalid_request');
    assert.equal((await agentOf(s, 'locked')).needsSignIn, true, 'nothing changed');

    const ok = await authenticate(s, 'locked', { methodId: 'token' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.agent.needsSignIn, false);
    const retry = await s.api('POST', `/api/sessions/${session.id}/retry`);
    assert.equal(retry.status, 201, retry.text);
    const done = await finished(s, retry.body.session.id);
    assert.equal(done.session.status, 'completed', done.session.error);
    assert.deepEqual(JSON.parse(textOf(done.events)).calls, ['initialize', 'session/new', 'prompt']);
    assert.equal(done.session.errorCode, undefined);
  });
});
