import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import {
  assertStrictlyIncreasing,
  Client,
  type Ev,
  isFinish,
  newConversation,
  sendMessage,
  sessionFinished,
  sleep,
  storedEvents,
  stream,
  STAMP,
  wsUrl,
} from './helpers.ts';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { useServer } from '../helpers/server.ts';

// The gateway's limits, set far below the defaults (GMGUI_WS_PING_MS, GMGUI_WS_STALL_MS) on two
// server processes: heartbeats drop a peer that stopped answering pings; a client stuck longer than
// the stall limit is told to reconnect (4008), and doing so with its last seq loses nothing. Processes
// of their own, so a busy test process cannot hold up the server's timers (and the reverse).

const agents = withAgentsFile([STAMP]);
/** Pings every 500 ms; gives up on a client stuck for 10 s. */
const s = useServer({ env: { ...agents, GMGUI_WS_PING_MS: '500', GMGUI_WS_STALL_MS: '10000' } });
/** Gives up on a client stuck for 1 s; pings too rarely to interfere. */
const stall = useServer({ env: { ...agents, GMGUI_WS_PING_MS: '60000', GMGUI_WS_STALL_MS: '1000' } });

describe('gateway limits', () => {
  test('heartbeat: a peer that stops answering pings is dropped; one that answers stays', async () => {
    const id = await newConversation(s);
    const headers = { authorization: `Bearer ${s.token}` };
    const deaf = new Client(
      new WebSocket(wsUrl(s, `/stream?conversationId=${id}`), { headers, autoPong: false }),
      false,
    );
    const alive = new Client(new WebSocket(wsUrl(s, `/stream?conversationId=${id}`), { headers }), false);
    let pings = 0;
    alive.ws.on('ping', () => pings++);
    await Promise.all([deaf.opened, alive.opened]);
    const closed = await Promise.race([deaf.closed, sleep(3_000).then(() => null)]);
    assert.ok(closed, 'the silent peer was dropped');
    assert.equal(closed.code, 1006, 'cut, not closed politely: it was not answering');
    // The tick that drops the silent peer also pings the live one; that ping may land just after the
    // close is seen here, so wait (bounded) for it instead of counting at once.
    for (let waited = 0; pings < 2 && waited < 2_000; waited += 50) await sleep(50);
    assert.equal(alive.ws.readyState, WebSocket.OPEN);
    assert.ok(pings >= 2, `pings were sent (${pings})`);
    await alive.close();
  });

  test('a slow reader that keeps draining is never cut off, though it answers pings late', async () => {
    const id = await newConversation(s, 'stamp');
    const slow = stream(s, id, 0);
    await slow.opened;
    // Reads in short bursts: its pongs wait behind megabytes of queued events, far longer than a ping
    // interval, but it drains something in every interval.
    let reading = true;
    const pacer = (async () => {
      while (reading) {
        slow.tcp().pause();
        await sleep(100);
        slow.tcp().resume();
        await sleep(5);
      }
    })();
    const sessionId = await sendMessage(s, id, 'stamp chunks=1500 size=4096 interval=0');
    try {
      await slow.untilFinished(sessionId, 60_000);
    } finally {
      reading = false;
      await pacer;
      slow.tcp().resume();
    }
    const stored = await storedEvents(s, id);
    const end = stored.findIndex((e) => isFinish(e, sessionId));
    assert.deepEqual(slow.events.slice(0, end + 1), stored.slice(0, end + 1));
    assert.equal(slow.ws.readyState, WebSocket.OPEN, 'still connected');
    await slow.close();
  });

  test('a client stuck past the stall limit is closed; reconnecting with its last seq loses nothing', async () => {
    const id = await newConversation(stall, 'stamp');
    const fast = stream(stall, id, 0);
    const stuck = stream(stall, id, 0);
    await Promise.all([fast.opened, stuck.opened]);
    stuck.tcp().pause();
    const sessionId = await sendMessage(stall, id, 'stamp chunks=1500 size=4096 interval=0');
    await fast.untilFinished(sessionId, 60_000);
    assert.equal((await sessionFinished(stall, sessionId, 30_000, id)).status, 'completed');
    // Past the stall limit the server gives up on it (its socket is cut if it cannot even read the close frame).
    await sleep(2_500);
    stuck.tcp().resume();
    const closed = await stuck.closed;
    // Nothing but the stall limit closes it here: it reads again and still finds its socket closed. The close
    // frame (4008) is queued behind the data it did not read, so it usually sees its socket cut instead.
    assert.ok([4008, 1006].includes(closed.code), `closed with ${closed.code} ${closed.reason}`);
    const before = stuck.events.slice();
    assert.ok(!before.some((e) => isFinish(e, sessionId)), 'it had not received everything');
    const again = stream(stall, id, before.length ? before[before.length - 1].seq : 0);
    await again.untilFinished(sessionId, 60_000);
    const union: Ev[] = [...before, ...again.events];
    assertStrictlyIncreasing(union);
    const stored = await storedEvents(stall, id);
    const end = stored.findIndex((e) => isFinish(e, sessionId));
    assert.deepEqual(union.slice(0, end + 1), stored.slice(0, end + 1));
    assert.deepEqual(fast.events.slice(0, end + 1), stored.slice(0, end + 1));
    await Promise.all([fast.close(), again.close()]);
  });
});
