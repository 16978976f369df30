import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AgentHost } from '../../src/agents/acp-host.ts';
import type { AgentLog } from '../../src/agents/log.ts';
import type { AgentSpec } from '../../src/agents/types.ts';
import type { SessionConfigInfo } from '../../src/domain/types.ts';
import { tempDir } from '../helpers/temp.ts';

// The ACP host (src/agents/acp-host.ts with session-settings.ts and client-handlers.ts) against a real
// agent process over stdio (test/fixtures/agents/fixture-agent.ts), without a server or a store: how a
// session opens, and how the session's modes and config options follow set answers and the agent.

const FIXTURE = fileURLToPath(new URL('../fixtures/agents/fixture-agent.ts', import.meta.url));

function spec(mode: string, env: Record<string, string> = {}): AgentSpec {
  return {
    id: mode,
    name: `Fixture ${mode}`,
    command: process.execPath,
    args: ['--import', import.meta.resolve('tsx'), FIXTURE, mode],
    env,
  };
}

const warnings: string[] = [];
const log: AgentLog = {
  debug() {},
  info() {},
  warn: (_o, msg) => void warnings.push(String(msg)),
  error() {},
};

const hosts: AgentHost[] = [];
after(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
});

function host(s: AgentSpec, reports: { modes: string[]; config: SessionConfigInfo[][]; idle: unknown[] }) {
  const cwd = tempDir('gmgui-host-');
  const h = new AgentHost({
    spec: s,
    conversationId: 'conv_1',
    cwd,
    roots: [cwd],
    log,
    silenceMs: 20_000,
    maxMessageBytes: 1024 * 1024,
    onIdleUpdate: (u) => void reports.idle.push(u),
    onModeReport: (m) => void reports.modes.push(m),
    onConfigReport: (o) => void reports.config.push(o),
  });
  hosts.push(h);
  return h;
}

describe('the ACP host with a real agent process', () => {
  test('a stored session the agent no longer has: session/load is refused, a new session opens', async () => {
    const state = join(tempDir('gmgui-host-state-'), 'agent');
    mkdirSync(state);
    const h = host(spec('loadable', { FIXTURE_STATE_DIR: state }), { modes: [], config: [], idle: [] });
    await h.start();
    const opened = await h.openSession('loadable-gone');
    assert.equal(opened.how, 'new');
    assert.notEqual(opened.acpSessionId, 'loadable-gone');
    assert.equal(h.acpSessionId, opened.acpSessionId);
    assert.ok(warnings.includes('the agent refused session/load'), warnings.join('; '));
  });

  test('modes and config options: from the opening answer, then set answers; refusals are reported', async () => {
    const reports = { modes: [] as string[], config: [] as SessionConfigInfo[][], idle: [] as unknown[] };
    const h = host(spec('modes'), reports);
    await h.start();
    const opened = await h.openSession(null);
    assert.equal(opened.how, 'new');
    assert.ok(opened.modes && opened.modes.availableModes.length > 1, JSON.stringify(opened.modes));
    const first = opened.modes.currentModeId;
    const other = opened.modes.availableModes.find((m) => m.id !== first && m.id !== 'locked');
    assert.ok(other);
    assert.deepEqual(h.modes, opened.modes);

    // Accepted without a current_mode_update: the host records one itself (an idle `mode` update).
    assert.equal(await h.setMode(other.id), true);
    assert.equal(h.modes?.currentModeId, other.id);
    assert.deepEqual(reports.modes, [other.id]);
    const idleMode = reports.idle.at(-1) as {
      sessionUpdate: string;
      currentModeId: string;
      availableModes: unknown[];
    };
    assert.equal(idleMode.sessionUpdate, 'current_mode_update');
    assert.equal(idleMode.currentModeId, other.id);
    assert.deepEqual(
      idleMode.availableModes,
      opened.modes.availableModes,
      'completed with the list of modes',
    );

    // Refused: nothing changes, and the agent's real mode is reported back.
    assert.equal(await h.setMode('locked'), false);
    assert.equal(h.modes?.currentModeId, other.id);
    assert.deepEqual(reports.modes, [other.id, other.id]);

    const model = h.configOptions.find((o) => o.id === 'model');
    assert.ok(model, JSON.stringify(h.configOptions));
    const value = model.values.find((v) => v !== model.currentValue);
    assert.ok(value);
    assert.equal(await h.setConfigOption('model', 'not-a-value'), false, 'not offered: not even sent');
    assert.equal(await h.setConfigOption('model', value), true);
    assert.equal(h.configOptions.find((o) => o.id === 'model')?.currentValue, value);
    assert.equal(reports.config.at(-1)?.find((o) => o.id === 'model')?.currentValue, value);
  });
});
