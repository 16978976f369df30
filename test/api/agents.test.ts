import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertError } from '../helpers/api-assert.ts';
import { useInProcess } from '../helpers/in-process.ts';

// GET /api/agents (CONTRACT section 3).

const s = useInProcess();

test('lists agents with id, name and availability; the demo agent is always there and available', async () => {
  const r = await s.api('GET', '/api/agents');
  assert.equal(r.status, 200, r.text);
  assert.ok(Array.isArray(r.body.agents));
  for (const a of r.body.agents) {
    assert.equal(typeof a.id, 'string');
    assert.equal(typeof a.name, 'string');
    assert.equal(typeof a.available, 'boolean');
  }
  const demo = r.body.agents.find((a: { id: string }) => a.id === 'demo');
  assert.ok(demo, 'the demo agent is listed');
  assert.equal(demo.available, true);
  // Every listed id is usable as an agentId.
  for (const a of r.body.agents) {
    const c = await s.api('POST', '/api/conversations', { agentId: a.id });
    assert.equal(c.status, 201, `${a.id}: ${c.text}`);
  }
});

test('needs the token', async () => {
  assertError(await s.api('GET', '/api/agents', undefined, { authorization: '' }), 401);
});
