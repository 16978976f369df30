import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatBytes } from '../../src/agents/faults.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { useServer } from '../helpers/server.ts';
import { failureCycle, fixtureAgent, textOf } from './helpers.ts';

// The flood limits are settings: GMGUI_AGENT_MAX_MESSAGE_BYTES (one ACP message) and
// GMGUI_AGENT_MAX_TURN_BYTES (all output of one turn). Set low here, so that the flooding fixture
// agents trip them quickly; the error names the configured limit.

const MESSAGE_LIMIT = 128 * 1024;
const TURN_LIMIT = 256 * 1024;

test('settings: defaults, parsing and minimums', () => {
  const defaults = loadConfig({});
  assert.equal(defaults.agentMaxMessageBytes, 8 * 1024 * 1024);
  assert.equal(defaults.agentMaxTurnOutputBytes, 64 * 1024 * 1024);
  const set = loadConfig({ GMGUI_AGENT_MAX_MESSAGE_BYTES: '100000', GMGUI_AGENT_MAX_TURN_BYTES: '2000000' });
  assert.equal(set.agentMaxMessageBytes, 100_000);
  assert.equal(set.agentMaxTurnOutputBytes, 2_000_000);
  assert.throws(() => loadConfig({ GMGUI_AGENT_MAX_MESSAGE_BYTES: '10' }), ConfigError);
  assert.throws(() => loadConfig({ GMGUI_AGENT_MAX_TURN_BYTES: 'lots' }), ConfigError);
  assert.equal(formatBytes(8 * 1024 * 1024), '8 MiB');
  assert.equal(formatBytes(1536 * 1024), '1.5 MiB');
  assert.equal(formatBytes(TURN_LIMIT), '256 KiB');
  assert.equal(formatBytes(1000), '1000 bytes');
});

describe('flood limits from the settings', () => {
  const s = useServer({
    env: {
      ...withAgentsFile([fixtureAgent('chunks', 'chunks'), fixtureAgent('flood', 'flood')]),
      GMGUI_AGENT_MAX_MESSAGE_BYTES: String(MESSAGE_LIMIT),
      GMGUI_AGENT_MAX_TURN_BYTES: String(TURN_LIMIT),
    },
  });

  test('endless small messages trip the per-turn limit; what was stored before stays', async () => {
    const { session, events } = await failureCycle(s, 'chunks', 'chunks');
    assert.equal(
      session.error,
      'The agent "Fixture chunks" produced more than 256 KiB of output in one turn, so gmgui stopped it.',
    );
    const text = textOf(events);
    assert.ok(text.startsWith('flood flood '), 'the output before the limit is in the log');
    assert.ok(text.length <= TURN_LIMIT, 'no more than the limit was stored');
  });

  test('one endless message trips the per-message limit', async () => {
    const { session } = await failureCycle(s, 'flood', 'flood');
    assert.match(session.error, /flooded its output with a message larger than 128 KiB/);
  });
});
