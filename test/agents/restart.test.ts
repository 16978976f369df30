import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type TestServer, startServer } from '../helpers/server.ts';
import {
  type Json,
  finished,
  fixtureAgent,
  getSession,
  newConversation,
  send,
  textOf,
  waitFor,
  writeAgentsFile,
} from './helpers.ts';

// A conversation's ACP session outlives the server: after a restart the next message reuses the
// stored ACP session id through session/load (the agent's replayed history is not a new turn).
// And a turn the agent had already received when the server died is `interrupted`, never re-run.

let dir: string;
let dataDir: string;
let rootDir: string;
let agentsFile: string;
const servers: TestServer[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gmgui-restart-'));
  dataDir = join(dir, 'data');
  rootDir = await mkdtemp(join(tmpdir(), 'gmgui-restart-root-'));
  agentsFile = await writeAgentsFile(dir, [
    fixtureAgent('loadable', 'loadable', { FIXTURE_STATE_DIR: join(dir, 'agent-state') }),
  ]);
});

after(async () => {
  for (const s of servers) await s.stop();
  await rm(dir, { recursive: true, force: true });
  await rm(rootDir, { recursive: true, force: true });
});

async function boot(): Promise<TestServer> {
  const s = await startServer({
    dataDir,
    rootDir,
    env: { GMGUI_AGENTS_FILE: agentsFile, GMGUI_DEMO_STEP_MS: '1', GMGUI_DEMO_LONG_MS: '30000' },
  });
  servers.push(s);
  return s;
}

test('after a restart the next message reuses the stored ACP session (session/load)', async () => {
  const a = await boot();
  const conv = await newConversation(a, 'loadable');
  const first = await finished(a, (await send(a, conv.id, 'first')).id);
  assert.equal(first.session.status, 'completed');
  const acpId = (await a.api('GET', `/api/conversations/${conv.id}`)).body.conversation.acpSessionId;
  assert.ok(acpId?.startsWith('loadable-'));
  assert.equal(textOf(first.events), `session ${acpId} turn 1: ok`);
  await a.stop();

  const b = await boot();
  const second = await finished(b, (await send(b, conv.id, 'second')).id);
  assert.equal(second.session.status, 'completed');
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
  const next = await finished(b, (await send(b, conv.id, '/quick')).id);
  assert.equal(next.session.status, 'completed');
  await b.stop();
});
