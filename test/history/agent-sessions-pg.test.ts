import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type Json, textOf, turn } from '../agents/helpers.ts';
import { tsAgent, withAgentsFile } from '../helpers/agents-file.ts';
import { pgSkipReason, usePgDatabase } from '../helpers/pg.ts';
import { useServer, useServers } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';

// Importing an agent's session on PostgreSQL, through two instances on one database at once: one
// conversation, its history once (the import's record is a plain insert, so the second transaction
// is re-run and finds the first one's conversation); then it goes on in the same agent session.

const pgSkip = await pgSkipReason();
const AGENT = join(import.meta.dirname, '..', 'fixtures', 'agents', 'history-agent.ts');

describe('agent sessions imported on PostgreSQL', { skip: pgSkip }, () => {
  const db = usePgDatabase('agentsessions');
  const rootDir = realpathSync(tempDir('gmgui-agent-sessions-pg-root-'));
  const stateDir = join(tempDir('gmgui-agent-sessions-pg-state-'), 'agent');
  const env = () => ({
    DATABASE_URL: db.url,
    ...withAgentsFile([
      tsAgent('hist', 'History', AGENT, [], { FIXTURE_STATE_DIR: stateDir, FIXTURE_SESSIONS_CWD: rootDir }),
    ]),
  });
  const a = useServer(() => ({ rootDir, env: env() }));
  const servers = useServers();

  test('two instances import one session at once: one conversation, history once', async () => {
    const b = await servers.start({ rootDir, env: env() });
    const body = { sessionId: 'hist-parser', cwd: rootDir };
    const [ra, rb] = await Promise.all([
      a.api('POST', '/api/agents/hist/sessions/import', body),
      b.api('POST', '/api/agents/hist/sessions/import', body),
    ]);
    assert.deepEqual([ra.status, rb.status].sort(), [200, 201], `${ra.text} ${rb.text}`);
    assert.equal(ra.body.conversation.id, rb.body.conversation.id);
    const id = ra.body.conversation.id;
    const all = (await a.api('GET', '/api/conversations')).body.conversations;
    assert.equal(all.length, 1);
    const messages = (await b.api('GET', `/api/conversations/${id}/messages`)).body.messages;
    assert.equal(messages.length, 4);
    assert.deepEqual(
      messages.map((m: Json) => m.role),
      ['user', 'assistant', 'user', 'assistant'],
    );
    const next = await turn(a, id, 'on postgres');
    assert.equal(textOf(next.events), 'session hist-parser turn 3: on postgres');

    const msgs = (await a.api('GET', `/api/conversations/${id}/messages`)).body.messages;
    const fork = await b.api('POST', `/api/conversations/${id}/fork`, { messageId: msgs.at(-1).id });
    assert.equal(fork.status, 201, fork.text);
    assert.equal(fork.body.forkedAgentSession, true);
    assert.equal(fork.body.messages, 6);
  });
});
