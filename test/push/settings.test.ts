import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

// The push settings (README "Settings"): their defaults, and bad values refused at start.

test('push settings: defaults, and bad values are a ConfigError', () => {
  const c = loadConfig({});
  assert.equal(c.pushMinTurnMs, 30_000);
  assert.equal(c.pushSubject, 'mailto:gmgui@example.com');
  const set = loadConfig({
    GMGUI_PUSH_MIN_TURN_MS: '0',
    GMGUI_PUSH_SUBJECT: 'https://ops.example.org/contact',
  });
  assert.deepEqual([set.pushMinTurnMs, set.pushSubject], [0, 'https://ops.example.org/contact']);
  for (const env of [
    { GMGUI_PUSH_MIN_TURN_MS: '-1' },
    { GMGUI_PUSH_MIN_TURN_MS: 'soon' },
    { GMGUI_PUSH_SUBJECT: 'ops@example.org' },
    { GMGUI_PUSH_SUBJECT: 'http://example.org' },
    { GMGUI_PUSH_SUBJECT: 'mailto:nobody' },
  ])
    assert.throws(() => loadConfig(env), ConfigError, JSON.stringify(env));
});
