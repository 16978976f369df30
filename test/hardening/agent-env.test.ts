import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newConversation } from '../agents/helpers.ts';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { pgSkipReason, usePgDatabase } from '../helpers/pg.ts';
import { type TestServer, useServer } from '../helpers/server.ts';
import { answerJson, probeAgent } from './helpers.ts';

// Agents get a scrubbed environment (issue 10): nothing of gmgui's own settings and secrets (the
// token would let an agent call the API and answer its own permission requests, DATABASE_URL would
// hand it the database), unless the agent's entry in the agents file names a variable in `passEnv`.
// What agents need (PATH, HOME, their API keys) still reaches them. Real server, real agent processes
// reporting the environment they were started with.

async function agentEnv(s: TestServer, agentId: string): Promise<Record<string, string>> {
  return answerJson(s, (await newConversation(s, agentId)).id, 'env');
}

const OWN = [
  'GMGUI_TOKEN',
  'GMGUI_DATA_DIR',
  'GMGUI_ROOTS',
  'GMGUI_AGENTS_FILE',
  'DATABASE_URL',
  'PORT',
  'HOST',
  'BASE_URL',
  'LOG_LEVEL',
];

describe("an agent's environment", () => {
  const s = useServer(() => ({
    env: {
      ...withAgentsFile([
        probeAgent('plain'),
        { ...probeAgent('asks'), passEnv: ['LOG_LEVEL', 'GMGUI_EXTRA'], env: { FROM_FILE: 'yes' } },
      ] as Parameters<typeof withAgentsFile>[0]),
      GMGUI_MAX_AGENTS: '4',
      GMGUI_EXTRA: 'a setting of ours',
      PGPASSWORD: 'database password',
      SOME_AGENT_API_KEY: 'the agent needs this',
      LANG: 'C.UTF-8',
    },
  }));

  test("gmgui's token and settings never reach an agent; what agents need does", async () => {
    const env = await agentEnv(s, 'plain');
    for (const name of [...OWN, 'GMGUI_MAX_AGENTS', 'GMGUI_EXTRA', 'PGPASSWORD']) {
      assert.equal(env[name], undefined, `${name} reached the agent`);
    }
    assert.ok(!Object.keys(env).some((k) => k.startsWith('GMGUI_')), Object.keys(env).join(' '));
    assert.ok(!JSON.stringify(env).includes(s.token), 'the token appears nowhere in its environment');
    assert.equal(env.SOME_AGENT_API_KEY, 'the agent needs this');
    assert.equal(env.PATH, process.env.PATH);
    assert.equal(env.HOME, process.env.HOME);
    assert.equal(env.LANG, 'C.UTF-8');
  });

  test('passEnv in the agents file passes the variables it names, and only those; env adds its own', async () => {
    const env = await agentEnv(s, 'asks');
    assert.equal(env.LOG_LEVEL, process.env.TEST_LOG_LEVEL ?? 'warn');
    assert.equal(env.GMGUI_EXTRA, 'a setting of ours');
    assert.equal(env.FROM_FILE, 'yes');
    assert.equal(env.GMGUI_TOKEN, undefined);
    assert.equal(env.PGPASSWORD, undefined);
  });
});

const pgSkip = await pgSkipReason();

describe("an agent's environment on PostgreSQL", { skip: pgSkip }, () => {
  const db = usePgDatabase('agentenv');
  const s = useServer(() => ({ env: { DATABASE_URL: db.url, ...withAgentsFile([probeAgent('plain')]) } }));

  test('DATABASE_URL never reaches an agent', async () => {
    const env = await agentEnv(s, 'plain');
    assert.equal(env.DATABASE_URL, undefined);
    assert.ok(!JSON.stringify(env).includes(db.name), 'the database appears nowhere in its environment');
    assert.equal(env.GMGUI_TOKEN, undefined);
  });
});
