import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { useServer } from '../helpers/server.ts';
import { failureCycle, finished, fixtureAgent, type Json, newConversation, send, textOf } from './helpers.ts';

// Misbehaving agents (test/fixtures/agents): each ends its session `error` with a sentence a user
// understands, the process is reaped, the next message starts a fresh agent, and other
// conversations carry on.

describe('agent faults', () => {
  const s = useServer({
    env: {
      ...withAgentsFile([
        { id: 'missing', name: 'Missing agent', command: '/nonexistent/gmgui-agent', args: [] },
        fixtureAgent('exit-at-start', 'exit-at-start'),
        fixtureAgent('crash', 'crash'),
        fixtureAgent('silent', 'silent'),
        fixtureAgent('garbage', 'garbage'),
        fixtureAgent('flood', 'flood'),
      ]),
      GMGUI_AGENT_SILENCE_MS: '1500',
      GMGUI_CANCEL_GRACE_MS: '500',
      GMGUI_DEMO_STEP_MS: '1',
      GMGUI_DEMO_LONG_MS: '3000',
      GMGUI_DEMO_LONG_CHUNKS: '100',
    },
  });

  /** failureCycle(), its error matching `expected`. */
  async function faultCycle(agentId: string, trigger: string, expected: RegExp): Promise<Json> {
    const { session } = await failureCycle(s, agentId, trigger);
    assert.match(session.error, expected);
    return session;
  }

  test('the agents file adds agents; a missing command is listed as unavailable with a reason', async () => {
    const agents = (await s.api('GET', '/api/agents')).body.agents;
    const missing = agents.find((a: Json) => a.id === 'missing');
    assert.equal(missing.available, false);
    assert.match(missing.reason, /not found/);
    assert.equal(agents.find((a: Json) => a.id === 'crash').available, true);
  });

  test('missing binary', async () => {
    const conv = await newConversation(s, 'missing');
    const session = await send(s, conv.id, 'hello');
    const { session: done } = await finished(s, session.id);
    assert.equal(done.status, 'error');
    assert.match(
      done.error,
      /"Missing agent" could not be started: the program "\/nonexistent\/gmgui-agent" was not found/,
    );
  });

  test('exits at start', async () => {
    const conv = await newConversation(s, 'exit-at-start');
    const session = await send(s, conv.id, 'hello');
    const { session: done } = await finished(s, session.id);
    assert.equal(done.status, 'error');
    assert.match(done.error, /exited with code 3 right after starting/);
    assert.match(done.error, /needs an API key/, 'quotes what the agent said on stderr');
  });

  test('crashes mid-turn, while another conversation streams undisturbed', async () => {
    const bystander = await newConversation(s, 'demo');
    const long = await send(s, bystander.id, '/long');
    const crashed = await faultCycle(
      'crash',
      'please crash',
      /stopped unexpectedly \(it exited with code 1\) during the turn/,
    );
    assert.match(crashed.error, /simulated crash/);
    const { session, events } = await finished(s, long.id);
    assert.equal(session.status, 'completed');
    assert.ok(textOf(events).endsWith('The end.'));
  });

  test('goes silent past GMGUI_AGENT_SILENCE_MS', async () => {
    await faultCycle('silent', 'hang', /sent nothing for 1\.5 s/);
  });

  test('writes something that is not JSON on stdout', async () => {
    await faultCycle('garbage', 'garbage', /not ACP.*Debugger listening/);
  });

  test('floods its output with an endless message', async () => {
    await faultCycle('flood', 'flood', /flooded its output/);
  });

  test('a partial answer before a crash stays in the log', async () => {
    const conv = await newConversation(s, 'crash');
    const bad = await send(s, conv.id, 'crash now');
    const { events } = await finished(s, bad.id);
    assert.equal(textOf(events), 'Working on it… ');
  });
});
