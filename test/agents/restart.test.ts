import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { useServers } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';
import {
  type Json,
  fixtureAgent,
  getSession,
  newConversation,
  send,
  textOf,
  turn,
  waitFor,
} from './helpers.ts';

// A conversation's ACP session outlives the server: after a restart the next message reuses the
// stored ACP session id through session/load (the agent's replayed history is not a new turn).
// And a turn the agent had already received when the server died is `interrupted`, never re-run.

const dir = tempDir('gmgui-restart-');
const dataDir = join(dir, 'data');
const rootDir = tempDir('gmgui-restart-root-');
const env = {
  ...withAgentsFile([fixtureAgent('loadable', 'loadable', { FIXTURE_STATE_DIR: join(dir, 'agent-state') })]),
  GMGUI_DEMO_STEP_MS: '1',
  GMGUI_DEMO_LONG_MS: '30000',
};
const servers = useServers();
/** A server on the same data, roots and agents as the ones before it. */
const boot = () => servers.start({ dataDir, rootDir, env });

test('after a restart the next message reuses the stored ACP session (session/load)', async () => {
  const a = await boot();
  const conv = await newConversation(a, 'loadable');
  const first = await turn(a, conv.id, 'first');
  const acpId = (await a.api('GET', `/api/conversations/${conv.id}`)).body.conversation.acpSessionId;
  assert.ok(acpId?.startsWith('loadable-'));
  assert.equal(textOf(first.events), `session ${acpId} turn 1: ok`);
  await a.stop();

  const b = await boot();
  const second = await turn(b, conv.id, 'second');
  assert.equal(textOf(second.events), `session ${acpId} turn 2: ok`, 'the agent continued the same session');
  assert.ok(!second.events.some((e: Json) => e.type === 'user_chunk'), 'replayed history is not stored');
  assert.equal((await b.api('GET', `/api/conversations/${conv.id}`)).body.conversation.acpSessionId, acpId);
  const messages = (await b.api('GET', `/api/conversations/${conv.id}/messages`)).body.messages;
  assert.equal(messages.length, 4);
  await b.stop();
});

test('a turn the agent had received when the server was killed ends interrupted', async () => {
  const a = await boot();
  const conv = await newConversation(a, 'demo');
  const long = await send(a, conv.id, '/long');
  await waitFor('streaming', async () =>
    (await getSession(a, long.id)).events.some((e: Json) => e.type === 'text_delta'),
  );
  await a.kill9();

  const b = await boot();
  const { session } = await getSession(b, long.id);
  assert.equal(session.status, 'interrupted');
  assert.equal(session.promptSent, true);
  await turn(b, conv.id, '/quick');
  await b.stop();
});
