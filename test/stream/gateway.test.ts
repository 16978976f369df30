import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import { useServer } from '../helpers/server.ts';
import {
  assertStrictlyIncreasing,
  Client,
  type Ev,
  isFinish,
  mux,
  newConversation,
  sendMessage,
  seqs,
  sessionFinished,
  sleep,
  storedEvents,
  stream,
  sync,
  wsUrl,
} from './helpers.ts';

// CONTRACT sections 2 and 5 at the WebSocket endpoints: who may connect, what each endpoint sends,
// the /ws frame protocol, and a clean shutdown with clients still connected.

const s = useServer();

/** The HTTP status an upgrade was refused with, or 101 when it was accepted. */
function upgradeStatus(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.terminate();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', (err) => {
      if (!String(err).includes('Unexpected server response')) reject(err);
    });
  });
}

const bearer = () => ({ authorization: `Bearer ${s.token}` });

describe('access and refusals before the upgrade', () => {
  test('no token: 401 on /sync, /stream and /ws; Bearer, ?token= and the cookie are accepted', async () => {
    const id = await newConversation(s);
    for (const path of ['/sync', `/stream?conversationId=${id}`, '/ws']) {
      assert.equal((await upgradeStatus(wsUrl(s, path))).status, 401, path);
      assert.equal((await upgradeStatus(wsUrl(s, path), { authorization: 'Bearer nope' })).status, 401, path);
      assert.equal((await upgradeStatus(wsUrl(s, path), bearer())).status, 101, path);
      const sep = path.includes('?') ? '&' : '?';
      assert.equal((await upgradeStatus(`${wsUrl(s, path)}${sep}token=${s.token}`)).status, 101, path);
      assert.equal(
        (await upgradeStatus(wsUrl(s, path), { cookie: `gmgui_token=${s.token}` })).status,
        101,
        path,
      );
    }
  });

  test('a foreign Origin or Host is a 403 (cross-site WebSocket hijacking, DNS rebinding)', async () => {
    const evil = await upgradeStatus(wsUrl(s, '/sync'), { ...bearer(), origin: 'http://evil.example' });
    assert.equal(evil.status, 403);
    const own = await upgradeStatus(wsUrl(s, '/sync'), { ...bearer(), origin: s.url });
    assert.equal(own.status, 101);
    const rebound = await upgradeStatus(wsUrl(s, '/sync'), { ...bearer(), host: `evil.example:${s.port}` });
    assert.equal(rebound.status, 403);
  });

  test('refusals a browser can read: unknown conversation 4404, bad query 4400, cursor beyond the log 4409', async () => {
    const id = await newConversation(s);
    const cases: Array<[string, number]> = [
      ['/stream?conversationId=conv_nope', 4404],
      ['/stream', 4400],
      [`/stream?conversationId=${id}&after=abc`, 4400],
      [`/stream?conversationId=${id}&after=-1`, 4400],
      [`/stream?conversationId=${id}&after=`, 4400],
      ['/sync?after=1.5', 4400],
      ['/sync?after=999999999', 4409],
      [`/stream?conversationId=${id}&after=999999999`, 4409],
    ];
    for (const [path, code] of cases) {
      const c = new Client(new WebSocket(wsUrl(s, path), { headers: bearer() }), false);
      const closed = await c.closed;
      assert.equal(closed.code, code, path);
      assert.ok(closed.reason.length > 0, `a reason for ${path}`);
      assert.equal(c.events.length, 0);
    }
    const plain = await fetch(`${s.base}/sync`, { headers: bearer() });
    assert.equal(plain.status, 426);
    assert.equal(((await plain.json()) as { code: string }).code, 'upgrade_required');
  });
});

describe('what each endpoint sends', () => {
  test('/stream with after=0: the stored history then live events, one JSON event per frame', async () => {
    const id = await newConversation(s);
    const first = await sendMessage(s, id, '/quick');
    await sessionFinished(s, first);
    const c = stream(s, id, 0);
    await c.until(() => c.events.some((e) => isFinish(e, first)), 10_000, 'history');
    const second = await sendMessage(s, id, '/quick');
    await c.untilFinished(second);
    const stored = await storedEvents(s, id);
    const end = stored.findIndex((e) => isFinish(e, second));
    assert.deepEqual(c.events.slice(0, end + 1), stored.slice(0, end + 1));
    assert.equal(c.events[0].type, 'conversation_created');
    await c.close();
  });

  test('/stream without after: live only, from the end of the log, with no gap after that point', async () => {
    const id = await newConversation(s);
    const done = await sendMessage(s, id, '/quick');
    await sessionFinished(s, done);
    const before = (await storedEvents(s, id)).at(-1)?.seq ?? 0;
    const c = stream(s, id);
    await c.opened;
    await sleep(100);
    const next = await sendMessage(s, id, '/quick');
    await c.untilFinished(next);
    assert.ok(c.events[0].seq > before, 'nothing from before the connection');
    const stored = await storedEvents(s, id, before);
    assert.deepEqual(seqs(c.events), seqs(stored.slice(0, c.events.length)), 'a contiguous run of the log');
    assert.equal(c.events[0].type, 'message_created');
    await c.close();
  });

  test('/sync: lifecycle events of every conversation, never agent output; equals GET /api/events', async () => {
    const start = (await s.api('GET', '/api/events?limit=1')).body.lastSeq as number;
    const c = sync(s, start);
    const a = await newConversation(s);
    const b = await newConversation(s);
    const sa = await sendMessage(s, a, '/quick');
    const sb = await sendMessage(s, b, '/quick');
    await c.untilFinished(sa);
    await c.untilFinished(sb);
    const lifecycle = new Set([
      'conversation_created',
      'conversation_updated',
      'conversation_deleted',
      'message_created',
      'session_created',
      'session_updated',
      'permission_requested',
      'permission_resolved',
    ]);
    for (const e of c.events) assert.ok(lifecycle.has(e.type), `lifecycle only, got ${e.type}`);
    assert.ok(new Set(c.events.map((e) => e.conversationId)).size >= 2, 'several conversations');
    const rest = (await s.api('GET', `/api/events?after=${start}&limit=10000`)).body.events as Ev[];
    assert.deepEqual(c.events, rest.slice(0, c.events.length));
    assertStrictlyIncreasing(c.events);
    await c.close();
  });
});

describe('/ws multiplexed socket', () => {
  test('subscribe to sync and a conversation; acks, ping/pong, refusals; unsubscribe stops only that stream', async () => {
    const id = await newConversation(s);
    const c = mux(s);
    await c.opened;
    // Frames say which stream they belong to; lifecycle events come on both, agent output only on the conversation.
    const raw: Array<{ op: string; stream?: string; conversationId?: string; event: Ev }> = [];
    c.ws.on('message', (d) => {
      const f = JSON.parse(String(d));
      if (f.op === 'event') raw.push(f);
    });
    const on = (stream: string) => raw.filter((f) => f.stream === stream).map((f) => f.event);
    const control = (pred: (f: Record<string, unknown>) => boolean, what: string) =>
      c
        .until(() => c.control.some(pred), 5_000, what)
        .then(() => c.control.find(pred) as Record<string, unknown>);

    c.send({ op: 'ping', id: 'p1' });
    assert.deepEqual(await control((f) => f.op === 'pong', 'pong'), { op: 'pong', id: 'p1' });

    c.send({ op: 'subscribe', stream: 'conversation', conversationId: 'conv_nope', id: 'x' });
    const nf = await control((f) => f.id === 'x', 'not found');
    assert.equal(nf.op, 'error');
    assert.equal(nf.code, 'not_found');

    c.ws.send('not json');
    const bad = await control((f) => f.code === 'invalid_frame', 'invalid frame');
    assert.equal(bad.op, 'error');
    c.send({ op: 'subscribe', stream: 'sync', after: 999_999_999, id: 'ahead' });
    assert.equal((await control((f) => f.id === 'ahead', 'ahead')).code, 'cursor_ahead');

    c.send({ op: 'subscribe', stream: 'conversation', conversationId: id, after: 0, id: 'conv' });
    c.send({ op: 'subscribe', stream: 'sync', id: 'sync' });
    const ackConv = await control((f) => f.id === 'conv', 'conversation ack');
    assert.deepEqual(ackConv, {
      op: 'subscribed',
      stream: 'conversation',
      conversationId: id,
      after: 0,
      id: 'conv',
    });
    const ackSync = await control((f) => f.id === 'sync', 'sync ack');
    assert.equal(ackSync.op, 'subscribed');
    assert.equal(typeof ackSync.after, 'number', 'live only: starts at the end of the log');

    const first = await sendMessage(s, id, '/quick');
    await c.until(() => on('sync').some((e) => isFinish(e, first)), 10_000, 'sync finish');
    await c.until(() => on('conversation').some((e) => isFinish(e, first)), 10_000, 'conversation finish');
    for (const f of raw.filter((x) => x.stream === 'conversation')) assert.equal(f.conversationId, id);
    assert.ok(on('conversation').some((e) => e.type === 'text_delta'));
    const lifecycle = (await s.api('GET', `/api/events?after=${ackSync.after}&limit=10000`)).body
      .events as Ev[];
    const onSync = on('sync');
    assert.deepEqual(
      onSync,
      lifecycle.slice(0, onSync.length),
      'sync frames: the lifecycle log after the ack cursor',
    );
    assert.deepEqual(on('conversation'), (await storedEvents(s, id)).slice(0, on('conversation').length));

    c.send({ op: 'unsubscribe', stream: 'conversation', conversationId: id, id: 'u' });
    await control((f) => f.op === 'unsubscribed' && f.id === 'u', 'unsubscribed');
    raw.length = 0;
    const second = await sendMessage(s, id, '/quick');
    await c.until(
      () => raw.some((f) => f.stream === 'sync' && isFinish(f.event as Ev, second)),
      10_000,
      'sync finish 2',
    );
    await sleep(200);
    assert.equal(
      raw.filter((f) => f.stream === 'conversation').length,
      0,
      'no conversation frame after unsubscribe',
    );

    // Subscribing again replaces the old subscription with a new cursor.
    c.send({ op: 'subscribe', stream: 'conversation', conversationId: id, after: 0, id: 'again' });
    await c.until(
      () => raw.some((f) => f.stream === 'conversation' && isFinish(f.event as Ev, second)),
      10_000,
      'replay',
    );
    const replay = raw.filter((f) => f.stream === 'conversation').map((f) => f.event as Ev);
    assert.equal(replay[0].type, 'conversation_created');
    assertStrictlyIncreasing(replay);
    await c.close();
  });
});

describe('under BASE_URL', () => {
  const gm = useServer({ baseUrl: '/gm' });

  test('the endpoints live under the prefix, like every route', async () => {
    const id = await newConversation(gm);
    const c = stream(gm, id, 0);
    await c.until(() => c.events.length === 1, 10_000, 'conversation_created');
    assert.equal(c.events[0].type, 'conversation_created');
    await c.close();
    const m = mux(gm);
    await m.opened;
    await m.close();
    const bare = await upgradeStatus(`${gm.url.replace(/^http/, 'ws')}/stream?conversationId=${id}`, {
      authorization: `Bearer ${gm.token}`,
    });
    assert.equal(bare.status, 404, 'not outside the prefix');
  });
});

describe('shutdown', () => {
  const own = useServer();

  test('SIGTERM with clients connected and a turn streaming: exits promptly, clients get 1001', async () => {
    const clients: Client[] = [];
    const raw: Socket[] = [];
    try {
      // Refused upgrades whose clients never hang up must not hold the server open either.
      for (const path of ['/ws', '/nothing-here', '/api/health', `/sync?token=${own.token}&after=x`]) {
        const sock = connect(own.port, '127.0.0.1');
        sock.on('error', () => undefined);
        sock.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${own.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        );
        raw.push(sock);
      }
      const id = await newConversation(own);
      await sendMessage(own, id, 'a long one /long');
      clients.push(stream(own, id, 0), sync(own, 0), mux(own));
      await Promise.all(clients.map((c) => c.opened));
      await clients[0].until(
        () => clients[0].events.some((e) => e.type === 'text_delta'),
        10_000,
        'streaming',
      );
      const t0 = Date.now();
      const code = await own.stop();
      const took = Date.now() - t0;
      assert.equal(code, 0, own.output());
      assert.ok(took < 3_000, `stopped in ${took} ms`);
      for (const c of clients) assert.equal((await c.closed).code, 1001);
    } finally {
      for (const c of clients) c.ws.terminate();
      for (const r of raw) r.destroy();
    }
  });
});
