import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Json,
  finished,
  getSession,
  newConversation,
  pidOf,
  processExists,
  send,
  sleep,
  textOf,
} from '../agents/helpers.ts';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { useServer } from '../helpers/server.ts';
import { childrenOf, probeAgent } from './helpers.ts';

// GMGUI_MAX_AGENTS (issue 10): at most that many agent processes; the turns beyond wait as `pending`
// and none is lost; idle processes are stopped least recently used first to make room. The processes
// are counted from /proc (children of the server process), not from the server's own bookkeeping.

const MARKER = 'probe-agent.ts';

describe('GMGUI_MAX_AGENTS=3: six conversations at once', () => {
  const s = useServer({ env: { ...withAgentsFile([probeAgent('probe')]), GMGUI_MAX_AGENTS: '3' } });

  test('all six are answered, never more than three agent processes alive, the rest wait as pending', async () => {
    const pid = s.proc.pid as number;
    let sampling = true;
    let most = 0;
    const sampler = (async () => {
      while (sampling) {
        most = Math.max(most, (await childrenOf(pid, MARKER)).length);
        await sleep(10);
      }
    })();
    try {
      const convs: Json[] = [];
      for (let i = 0; i < 6; i++) convs.push(await newConversation(s, 'probe'));
      const sessions: Json[] = [];
      for (const c of convs) sessions.push(await send(s, c.id, 'sleep 600'));
      let sawWaiting = false;
      for (;;) {
        const statuses = await Promise.all(
          sessions.map(async (x) => (await getSession(s, x.id)).session.status),
        );
        if (statuses.includes('pending') && statuses.includes('processing')) sawWaiting = true;
        if (statuses.every((st) => st === 'completed' || st === 'error')) break;
        await sleep(50);
      }
      assert.ok(sawWaiting, 'turns beyond the limit were seen waiting as pending');
      const pids = new Set<number>();
      for (const x of sessions) {
        const r = await finished(s, x.id);
        assert.equal(r.session.status, 'completed', JSON.stringify(r.session));
        pids.add(pidOf(textOf(r.events)));
      }
      assert.equal(pids.size, 6, 'each conversation had its own process');
    } finally {
      sampling = false;
      await sampler;
    }
    assert.ok(most <= 3, `${most} agent processes were alive at once`);
    assert.equal(most, 3, 'the limit was used');
    assert.ok((await childrenOf(pid, MARKER)).length <= 3);
  });
});

describe('GMGUI_MAX_AGENTS=2: the least recently used idle agent makes room', () => {
  const s = useServer({ env: { ...withAgentsFile([probeAgent('probe')]), GMGUI_MAX_AGENTS: '2' } });

  async function turn(conversationId: string): Promise<number> {
    const r = await finished(s, (await send(s, conversationId, 'hello')).id);
    assert.equal(r.session.status, 'completed', JSON.stringify(r.session));
    return pidOf(textOf(r.events));
  }

  test('A, B, A again, then C: B (least recently used) is stopped, A keeps its process', async () => {
    const [a, b, c] = [
      await newConversation(s, 'probe'),
      await newConversation(s, 'probe'),
      await newConversation(s, 'probe'),
    ];
    const pidA = await turn(a.id);
    const pidB = await turn(b.id);
    assert.equal(await turn(a.id), pidA, 'A reuses its idle process');
    const pidC = await turn(c.id);
    assert.ok(!processExists(pidB), 'B was stopped to make room');
    assert.ok(processExists(pidA) && processExists(pidC));
    assert.equal(await turn(a.id), pidA, 'A still has its process');
    // Now C is the least recently used: B's next message stops C, not A.
    const pidB2 = await turn(b.id);
    assert.notEqual(pidB2, pidB, 'B got a new process');
    assert.ok(!processExists(pidC));
    assert.ok(processExists(pidA));
    assert.deepEqual(
      (await childrenOf(s.proc.pid as number, MARKER)).sort(),
      [pidA, pidB2].sort(),
      'exactly the two expected processes are alive',
    );
  });
});
