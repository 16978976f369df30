import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useServer } from '../helpers/server.ts';
import { newConversation, sendMessage, sessionFinished, sync } from '../stream/helpers.ts';

// GET /api/metrics (CONTRACT "Metrics"): Prometheus text behind the token; after real activity (a
// turn of the demo agent, a /sync socket, writes past the rate limit) the figures it reports moved.

const s = useServer({ env: { GMGUI_RATE_LIMIT_WRITES: '12' } });

/** `name{labels} value` lines of the Prometheus text format, keyed by `name{labels}` as written. */
function parse(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

async function scrape(): Promise<Map<string, number>> {
  const r = await s.api('GET', '/api/metrics');
  assert.equal(r.status, 200, r.text);
  assert.match(String(r.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
  return parse(r.text);
}

test('metrics: behind the token; turns, sockets, commits, appends and rate limits move with activity', async () => {
  const anonymous = await fetch(`${s.base}/api/metrics`);
  assert.equal(anonymous.status, 401, 'no token, no metrics');

  const before = await scrape();
  assert.equal(before.get('gmgui_websocket_clients'), 0);
  assert.equal(before.get('gmgui_turns_finished_total{status="completed"}') ?? 0, 0);

  const watcher = sync(s);
  await watcher.opened;
  const id = await newConversation(s);
  const sessionId = await sendMessage(s, id, 'hello /quick');
  assert.equal((await sessionFinished(s, sessionId)).status, 'completed');
  // The finished turn reaches the /sync feed (and the counter that shares it) right after its commit.
  await watcher.untilFinished(sessionId);

  // Past the write limit (12 a minute; 2 used above): refused with 429, and counted.
  let refused = 0;
  for (let i = 0; i < 14; i++) {
    const r = await s.api('POST', '/api/conversations', { agentId: 'demo', cwd: s.rootDir });
    if (r.status === 429) refused++;
  }
  assert.ok(refused >= 3, `some writes were refused (${refused})`);

  const after = await scrape();
  assert.equal(after.get('gmgui_websocket_clients'), 1, 'the /sync socket');
  assert.equal(after.get('gmgui_turns_finished_total{status="completed"}'), 1);
  assert.equal(after.get('gmgui_rate_limited_total{limit="writes"}'), refused);
  const grew = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
  const stored = await s.api('GET', `/api/conversations/${id}/events?limit=1000`);
  assert.ok(
    grew('gmgui_events_appended_total') >= stored.body.events.length,
    `every event of the conversation was counted (${grew('gmgui_events_appended_total')})`,
  );
  assert.ok(grew('gmgui_store_commit_seconds_count') >= 3, 'commits were timed');
  assert.ok(grew('gmgui_store_commit_batch_size_sum') >= grew('gmgui_store_commit_batch_size_count'));
  assert.ok(after.has('gmgui_turns{status="pending"}') && after.has('gmgui_turns{status="processing"}'));
  assert.ok((after.get('gmgui_process_resident_memory_bytes') ?? 0) > 0);

  await watcher.close();
  // The server learns of the close a moment later.
  const deadline = Date.now() + 5_000;
  while ((await scrape()).get('gmgui_websocket_clients') !== 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal((await scrape()).get('gmgui_websocket_clients'), 0);
});
