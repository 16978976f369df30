import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { startServer, useServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';
import { conversation, type Json, newConversation, sessionAgent, textOf, turn, waitFor } from './helpers.ts';

// What an agent reports besides its answer, and the MCP servers it is handed (issue 11), with real
// agent processes (test/fixtures/agents/session-agent.ts): notices and compaction are events; the
// agent's title names an untitled conversation but never replaces one a person chose; MCP servers
// from GMGUI_MCP_FILE and the agent's entry reach session/new as its mcpCapabilities allow.

const mcpDir = tempDir('gmgui-mcp-');
const mcpFile = join(mcpDir, 'mcp.json');
writeFileSync(
  mcpFile,
  JSON.stringify({
    mcpServers: [
      { name: 'files', command: '/usr/bin/mcp-files', args: ['--root', '/srv'], env: { TOKEN: 't' } },
      { name: 'events', type: 'sse', url: 'http://127.0.0.1:9/sse' },
    ],
  }),
);

describe('agent reports and MCP servers', () => {
  const mcpAgent = {
    ...sessionAgent('mcp', 'mcp'),
    mcpServers: [
      { name: 'docs', type: 'http', url: 'http://127.0.0.1:9/mcp', headers: { Authorization: 'Bearer x' } },
    ],
  };
  const s = useServer({
    env: { ...withAgentsFile([sessionAgent('notices', 'notices'), mcpAgent]), GMGUI_MCP_FILE: mcpFile },
  });

  test('notices and compaction are events; the agent title names an untitled conversation only', async () => {
    const c = await newConversation(s, 'notices');
    assert.equal(c.title, 'New conversation');
    const { events } = await turn(s, c.id, 'hello');
    const pick = (type: string) => events.filter((e: Json) => e.type === type);
    assert.deepEqual(
      pick('notice').map((e: Json) => [e.severity, e.title, e.description]),
      [['warning', 'Rate limit close', '90% used']],
    );
    assert.deepEqual(
      pick('compaction').map((e: Json) => [e.compactionId, e.status]),
      [
        ['c1', 'in_progress'],
        ['c1', 'completed'],
      ],
    );
    assert.deepEqual(pick('compaction_chunk')[0].content, { type: 'text', text: 'Summary.' });
    assert.equal(pick('session_info')[0].title, 'Fixing the parser');
    const named = await waitFor('the agent title', async () => {
      const now = await conversation(s, c.id);
      return now.title === 'Fixing the parser' ? now : null;
    });
    assert.equal(named.settings.titleSource, 'agent');

    // A person's title is theirs.
    const renamed = await s.api('PATCH', `/api/conversations/${c.id}`, { title: 'My parser work' });
    assert.equal(renamed.body.conversation.settings.titleSource, undefined);
    await turn(s, c.id, 'again');
    // A title a client made from the first message is automatic: the agent's replaces it.
    const auto = await newConversation(s, 'notices');
    const fromPrompt = await s.api('PATCH', `/api/conversations/${auto.id}`, {
      title: 'hello',
      titleSource: 'prompt',
    });
    assert.equal(fromPrompt.body.conversation.settings.titleSource, 'prompt');
    await turn(s, auto.id, 'hello');
    await waitFor('the agent title to replace the automatic one', async () =>
      (await conversation(s, auto.id)).title === 'Fixing the parser' ? true : null,
    );
    const titled = await s.api('POST', '/api/conversations', {
      agentId: 'notices',
      title: 'Chosen',
      cwd: s.rootDir,
    });
    await turn(s, titled.body.conversation.id, 'hello');
    // The reports are written after the turn's own events: wait a little for them to land, then check.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await conversation(s, c.id)).title, 'My parser work');
    assert.equal((await conversation(s, titled.body.conversation.id)).title, 'Chosen');
  });

  test('MCP servers: the global ones and the agent entry’s, those it cannot take left out', async () => {
    const c = await newConversation(s, 'mcp');
    const seen = JSON.parse(textOf((await turn(s, c.id, 'report')).events));
    assert.deepEqual(seen.mcpServers, [
      {
        name: 'files',
        command: '/usr/bin/mcp-files',
        args: ['--root', '/srv'],
        env: [{ name: 'TOKEN', value: 't' }],
      },
      {
        type: 'http',
        name: 'docs',
        url: 'http://127.0.0.1:9/mcp',
        headers: [{ name: 'Authorization', value: 'Bearer x' }],
      },
    ]);
  });

  test('a malformed GMGUI_MCP_FILE stops the start with a sentence naming it', async () => {
    const bad = join(mcpDir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ mcpServers: [{ name: 'x', type: 'http' }] }));
    await assert.rejects(
      startServer({ env: { GMGUI_MCP_FILE: bad } }),
      /GMGUI_MCP_FILE .*bad\.json is not valid/,
    );
  });
});
