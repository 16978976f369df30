import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pgSkipReason, usePgDatabase } from '../helpers/pg.ts';
import { type TestServer, useServer, useServers } from '../helpers/server.ts';
import type { Json } from './helpers.ts';
import * as h from './helpers.ts';

// Two servers on one PostgreSQL database. A turn runs in the instance that claimed it; a person may
// answer its permission request or cancel it through the other one: both only write to the store,
// and the runner holding the lease learns of it from the log.

const pgSkip = await pgSkipReason();

describe('agents across instances (PostgreSQL)', { skip: pgSkip }, () => {
  const db = usePgDatabase('agents');
  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: db.url,
    GMGUI_DEMO_STEP_MS: '1',
    ...extra,
  });
  const a = useServer(() => ({ env: env({ GMGUI_DEMO_LONG_MS: '30000' }) }));
  const servers = useServers();
  let b: TestServer | null = null;

  test('a permission answered and a turn cancelled through another instance', async () => {
    const conv = await h.newConversation(a, 'demo');
    const asked = await h.send(a, conv.id, 'edit the notes');
    const ask = await h.eventOf(a, asked.id, 'permission_requested');
    const longConv = await h.newConversation(a, 'demo');
    const long = await h.send(a, longConv.id, '/long');
    await h.waitFor('streaming', async () =>
      (await h.getSession(a, long.id)).events.some((e: Json) => e.type === 'text_delta'),
    );

    // Both turns are held by A's runner; B starts only now, on the same database and roots.
    b = await servers.start({ rootDir: a.rootDir, env: env({ GMGUI_DEMO_LONG_MS: '30000' }) });
    const answered = await h.answerPermission(b, ask, 'allow_once');
    assert.equal(answered.status, 200);
    const done = await h.finished(b, asked.id);
    assert.equal(done.session.status, 'completed');
    assert.match(h.textOf(done.events), /You asked/);

    const cancel = await b.api('POST', `/api/sessions/${long.id}/cancel`);
    assert.equal(cancel.status, 202);
    const cancelled = await h.finished(b, long.id);
    assert.equal(cancelled.session.status, 'cancelled');
  });

  test('a mode chosen through another instance switches the agent where it runs', async () => {
    // The agent runs (idle) in A only: B is stopped while A runs the turn.
    await b?.stop();
    const conv = await h.newConversation(a, 'demo');
    await h.turn(a, conv.id, '/quick');

    b = await servers.start({ rootDir: a.rootDir, env: env() });
    const chosen = await b.api('POST', `/api/conversations/${conv.id}/mode`, { modeId: 'plan' });
    assert.equal(chosen.status, 200, chosen.text);
    const other = b;
    // A mode event outside any turn: A's idle agent switched.
    await h.waitFor('the agent in A to switch', async () => {
      const r = await other.api('GET', `/api/conversations/${conv.id}/events?after=0&limit=1000`);
      return r.body.events.some(
        (e: Json) => e.type === 'mode' && e.sessionId === null && e.currentModeId === 'plan',
      );
    });
    // Whichever instance runs the next turn, it runs in the chosen mode.
    const next = await h.turn(b, conv.id, '/mode');
    assert.equal(h.textOf(next.events), 'I am in the **plan** mode.');
  });
});
