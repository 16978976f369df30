import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pgSkipReason, sql, usePgDatabase } from '../helpers/pg.ts';
import { DIST_CLI, DIST_NODE_FLAGS, newToken, type TestServer, useServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';
import { useResource } from '../helpers/use.ts';
import {
  assertStrictlyIncreasing,
  type Client,
  type Ev,
  isFinish,
  newConversation,
  seqs,
  sessionFinished,
  sleep,
  storedEvents,
  stream,
  textOf,
} from '../stream/helpers.ts';

// Issue 6, "Must show": two real server processes on one PostgreSQL database, as behind a load balancer.
// They share the database, the token and the folders (the conversation's folder must exist on the
// instance that runs its turns), and nothing else. Each is the shipped bundle started as `npm start`
// starts it, with DATABASE_URL pointing at a fresh database, as a user would set it (issue 9).

const pgSkip = await pgSkipReason();
const LEASE_MS = 2000;

describe('two gmgui instances on one PostgreSQL database', { skip: pgSkip }, () => {
  const db = usePgDatabase('instances');
  const rootDir = tempDir('gmgui-root-');
  const token = newToken();
  const shared = () => ({ rootDir, token, env: { DATABASE_URL: db.url, GMGUI_LEASE_MS: String(LEASE_MS) } });
  const a = useServer(shared);
  const b = useServer(shared);
  // Stopped first (after hooks stop the newest first): no server waits for a client to go.
  const clients = useResource(
    'the clients',
    async () => [] as Client[],
    async (list) => {
      for (const c of list) c.ws.terminate();
    },
  );

  test('both instances are the shipped bundle on PostgreSQL: /api/health says so', async () => {
    assert.match(db.url, /^postgres(ql)?:\/\/[^/]+\/gmgui_test_instances_\w+$/, 'a plain DATABASE_URL');
    for (const s of [a, b]) {
      assert.deepEqual(
        s.proc.spawnargs.slice(1),
        [...DIST_NODE_FLAGS, DIST_CLI],
        'started as npm start starts it',
      );
      const health = await s.api('GET', '/api/health', undefined, { authorization: '' });
      assert.equal(health.status, 200, health.text);
      assert.deepEqual(health.body, { ok: true, store: 'postgres' });
      assert.match(s.output(), /store: postgres/);
    }
  });

  const open = (s: TestServer, cid: string, afterSeq?: number) => {
    const c = stream(s, cid, afterSeq);
    clients.push(c);
    return c;
  };

  /** The instance whose runner holds the session's lease (lease owners are "<pid>-<random>"). */
  async function runnerOf(sessionId: string): Promise<{ runner: TestServer; other: TestServer }> {
    for (let i = 0; i < 300; i++) {
      const [row] = await sql<{ lease_owner: string | null }>(
        db.url,
        'SELECT lease_owner FROM sessions WHERE id = $1',
        [sessionId],
      );
      const owner = row?.lease_owner;
      if (owner) {
        if (owner.startsWith(`${a.proc.pid}-`)) return { runner: a, other: b };
        if (owner.startsWith(`${b.proc.pid}-`)) return { runner: b, other: a };
        throw new Error(`lease owner ${owner} is neither instance`);
      }
      await sleep(20);
    }
    throw new Error('no instance claimed the session');
  }

  const lastSeqOf = async (s: TestServer, cid: string): Promise<number> =>
    (await s.api('GET', `/api/conversations/${cid}/events?after=0&limit=1`)).body.lastSeq as number;

  test('a client on one instance sees a turn run by the other streamed live, and resumes after a disconnect gapless', async () => {
    const cid = await newConversation(a);
    const start = await lastSeqOf(a, cid);
    // A client on each instance: whichever instance claims the turn, the client on the other one is the witness.
    const onA = open(a, cid, start);
    const onB = open(b, cid, start);
    await Promise.all([onA.opened, onB.opened]);

    const sent = await b.api('POST', `/api/conversations/${cid}/messages`, {
      content: 'Please answer /long',
    });
    assert.equal(sent.status, 201, sent.text);
    const sid = sent.body.session.id as string;
    const { runner, other } = await runnerOf(sid);
    const witness = other === a ? onA : onB;

    const deltas = (c: Client) =>
      c.events.filter((e) => e.type === 'text_delta' && e.sessionId === sid).length;
    await witness.until(() => deltas(witness) >= 20, 20_000, '20 chunks on the other instance');
    // Live: the chunks arrived while the turn was still running on the runner instance.
    const mid = await other.api('GET', `/api/sessions/${sid}`);
    assert.equal(mid.body.session.status, 'processing', 'chunks arrived live, before the turn ended');

    // Drop the connection abruptly, let the agent go on, reconnect with the last seq received.
    const firstPart: Ev[] = [...witness.events];
    witness.ws.terminate();
    await sleep(500);
    const resumed = open(other, cid, firstPart.at(-1)!.seq);
    await resumed.until(() => resumed.events.some((e) => isFinish(e, sid)), 30_000, 'the end of the turn');

    const got = [...firstPart, ...resumed.events];
    assertStrictlyIncreasing(got, 'first connection + resumed connection');
    const finish = got.find((e) => isFinish(e, sid))!;
    assert.equal(finish.status, 'completed');
    const upToFinish = (events: Ev[]) => events.filter((e) => e.seq <= finish.seq);
    const stored = await storedEvents(other, cid, start);
    assert.deepEqual(
      seqs(upToFinish(got)),
      seqs(upToFinish(stored)),
      'exactly the stored events, none missing, none twice',
    );
    assert.ok(
      resumed.events.filter((e) => e.type === 'text_delta').length > 0,
      'the resumed connection carried the rest of the stream',
    );
    // The client on the runner instance saw the same log.
    const runnerClient = runner === a ? onA : onB;
    await runnerClient.until(() => runnerClient.events.some((e) => isFinish(e, sid)));
    assert.deepEqual(seqs(upToFinish(runnerClient.events)), seqs(upToFinish(stored)));

    const done = await sessionFinished(other, sid);
    const message = await other.api(
      'GET',
      `/api/conversations/${cid}/messages/${(done.response as { messageId: string }).messageId}`,
    );
    assert.equal(textOf(got, sid), (message.body.message.content as { text: string }).text);
  });

  test('the same idempotency key sent to both instances at once: one message, one session, one response', async () => {
    const cid = await newConversation(b);
    const key = `same-key-${Math.random().toString(36).slice(2)}`;
    const post = (s: TestServer) =>
      s.api(
        'POST',
        `/api/conversations/${cid}/messages`,
        { content: 'Once /quick' },
        { 'idempotency-key': key },
      );
    const replies = await Promise.all([post(a), post(b), post(a), post(b), post(a), post(b)]);
    for (const r of replies) assert.equal(r.status, 201, r.text);
    assert.equal(
      new Set(replies.map((r) => r.text)).size,
      1,
      'every caller got the first response, byte for byte',
    );
    const sid = replies[0].body.session.id as string;
    await sessionFinished(a, sid);
    const messages = (await b.api('GET', `/api/conversations/${cid}/messages`)).body.messages as Array<{
      role: string;
    }>;
    assert.equal(messages.filter((m) => m.role === 'user').length, 1);
    assert.equal(messages.filter((m) => m.role === 'assistant').length, 1, 'one agent run');
    const sessions = (await a.api('GET', `/api/conversations/${cid}/sessions`)).body.sessions as unknown[];
    assert.equal(sessions.length, 1);
    const events = await storedEvents(a, cid);
    assert.equal(
      events.filter(
        (e) => e.type === 'message_created' && e.message && (e.message as { role: string }).role === 'user',
      ).length,
      1,
    );
  });

  // Last: it kills one of the two instances.
  test('kill -9 of the instance running a turn: the other marks it interrupted within the lease time', async () => {
    const cid = await newConversation(a);
    const sent = await a.api('POST', `/api/conversations/${cid}/messages`, {
      content: 'Please answer /long',
    });
    assert.equal(sent.status, 201, sent.text);
    const sid = sent.body.session.id as string;
    const { runner, other } = await runnerOf(sid);
    // Wait until the agent is answering (the prompt went out, output is stored).
    for (let i = 0; ; i++) {
      const events = await storedEvents(other, cid);
      if (events.filter((e) => e.type === 'text_delta' && e.sessionId === sid).length >= 5) break;
      assert.ok(i < 200, 'the turn did not start streaming');
      await sleep(50);
    }
    const killedAt = Date.now();
    await runner.kill9();

    let session: Record<string, unknown> = {};
    for (;;) {
      session = (await other.api('GET', `/api/sessions/${sid}`)).body.session;
      if (session.status !== 'processing') break;
      assert.ok(Date.now() - killedAt < 4 * LEASE_MS + 5000, 'still processing long after the lease expired');
      await sleep(50);
    }
    const tookMs = Date.now() - killedAt;
    assert.equal(session.status, 'interrupted');
    // The lease ran out at most LEASE_MS after the kill; the survivor checks leases every LEASE_MS.
    assert.ok(
      tookMs <= 2 * LEASE_MS + 1500,
      `marked interrupted ${tookMs} ms after the kill (lease ${LEASE_MS} ms)`,
    );
    console.log(`# kill -9 → interrupted by the other instance after ${tookMs} ms (lease ${LEASE_MS} ms)`);

    const events = await storedEvents(other, cid);
    assertStrictlyIncreasing(events as Ev[]);
    const last = events.filter((e) => e.sessionId === sid).at(-1)!;
    assert.equal(last.type, 'session_updated');
    assert.equal(last.status, 'interrupted');
    assert.ok(textOf(events, sid).length > 0, 'what was streamed before the kill is kept');

    // The survivor still serves: the user retries on it and gets an answer.
    const retry = await other.api(
      'POST',
      `/api/sessions/${sid}/retry`,
      {},
      { 'idempotency-key': `retry-${sid}` },
    );
    assert.equal(retry.status, 201, retry.text);
    const done = await sessionFinished(other, retry.body.session.id as string, 30_000);
    assert.equal(done.status, 'completed');
  });
});
