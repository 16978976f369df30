import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { assertError } from '../helpers/api-assert.ts';
import { type RawResponse, rawRequest } from '../helpers/raw-http.ts';
import { type TestServer, useServer } from '../helpers/server.ts';

// Issue 10, limits (README "Limits"): writes and wrong tokens per minute per client, 429 with
// Retry-After; pending turns per conversation; request and header timeouts. Real server processes.

function assertRetryAfter(r: RawResponse): void {
  const wait = Number(r.headers['retry-after']);
  assert.ok(
    Number.isInteger(wait) && wait >= 1 && wait <= 60,
    `Retry-After is 1..60 s, got ${r.headers['retry-after']}`,
  );
}

const call = (s: TestServer, method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  rawRequest({
    port: s.port,
    method,
    path,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('write limit', () => {
  const s = useServer({ env: { GMGUI_RATE_LIMIT_WRITES: '5' } });

  test('past GMGUI_RATE_LIMIT_WRITES writes a minute: 429 rate_limited with Retry-After, nothing written; reads go on', async () => {
    const auth = { authorization: `Bearer ${s.token}` };
    // A wrong token is a 401 (a failed login), not a write.
    assertError(
      await call(s, 'POST', '/api/conversations', { authorization: 'Bearer nope' }, { agentId: 'demo' }),
      401,
    );
    for (let i = 0; i < 5; i++) {
      const r = await call(s, 'POST', '/api/conversations', auth, { agentId: 'demo', title: `w${i}` });
      assert.equal(r.status, 201, r.text);
    }
    const refused = await call(s, 'POST', '/api/conversations', auth, {
      agentId: 'demo',
      title: 'one too many',
    });
    assertError(refused, 429, 'rate_limited');
    assertRetryAfter(refused);
    const list = await s.api('GET', '/api/conversations');
    assert.equal(list.status, 200, 'reads are not limited');
    assert.deepEqual(list.body.conversations.map((c: { title: string }) => c.title).sort(), [
      'w0',
      'w1',
      'w2',
      'w3',
      'w4',
    ]);
    // Every write method counts, PATCH and DELETE too.
    const id = list.body.conversations[0].id;
    assertError(await call(s, 'DELETE', `/api/conversations/${id}`, auth), 429, 'rate_limited');
    assert.equal(
      (await s.api('GET', `/api/conversations/${id}`)).status,
      200,
      'the refused DELETE did nothing',
    );
  });
});

describe('failed-login limit', () => {
  // Behind a trusted proxy each client is its own X-Forwarded-For address.
  const s = useServer({ env: { GMGUI_RATE_LIMIT_LOGINS: '3', GMGUI_TRUST_PROXY: 'loopback' } });
  const from = (ip: string, extra: Record<string, string> = {}) => ({ 'x-forwarded-for': ip, ...extra });

  test('past the limit a client gets 429 with Retry-After, even with the right token, until the wait is over', async () => {
    const wrong = from('203.0.113.7', { authorization: 'Bearer wrong' });
    for (let i = 0; i < 3; i++)
      assertError(await call(s, 'GET', '/api/conversations', wrong), 401, 'unauthorized');
    const fourth = await call(s, 'GET', '/api/conversations', wrong);
    assertError(fourth, 429, 'rate_limited');
    assertRetryAfter(fourth);
    // The right token does not tell itself apart while the client waits: the limit would slow nothing.
    const right = await call(
      s,
      'GET',
      '/api/conversations',
      from('203.0.113.7', { authorization: `Bearer ${s.token}` }),
    );
    assertError(right, 429, 'rate_limited');
    assertRetryAfter(right);
    // No credential is no guess: still a plain 401. The public health check is untouched.
    assertError(await call(s, 'GET', '/api/conversations', from('203.0.113.7')), 401, 'unauthorized');
    assert.equal((await call(s, 'GET', '/api/health', from('203.0.113.7'))).status, 200);
  });

  test('clients are counted apart; a wrong ?token= on a public page counts too', async () => {
    const ok = await call(
      s,
      'GET',
      '/api/conversations',
      from('203.0.113.8', { authorization: `Bearer ${s.token}` }),
    );
    assert.equal(ok.status, 200, 'another client is not blocked');
    // A right ?token= would give itself away by its cookie: wrong ones there are guesses as well.
    for (let i = 0; i < 3; i++) {
      const r = await call(s, 'GET', '/?token=wrong', from('203.0.113.9'));
      assert.notEqual(r.status, 429);
      assert.equal(r.headers['set-cookie'], undefined);
    }
    const blocked = await call(s, 'GET', `/?token=${s.token}`, from('203.0.113.9'));
    assertError(blocked, 429, 'rate_limited');
    assert.equal(blocked.headers['set-cookie'], undefined, 'no cookie while blocked');
  });
});

describe('pending turns per conversation', () => {
  // An agent that never answers `initialize`: the first turn stays processing, the rest wait as pending.
  const silent = {
    id: 'silent',
    name: 'Silent',
    command: process.execPath,
    args: ['-e', 'process.stdin.resume()'],
  };
  const s = useServer({ env: { GMGUI_MAX_PENDING: '3', ...withAgentsFile([silent]) } });

  test('past GMGUI_MAX_PENDING: 429 too_many_pending, nothing stored; a replay is still answered; room comes back', async () => {
    const cid = (await s.api('POST', '/api/conversations', { agentId: 'silent' })).body.conversation.id;
    const url = `/api/conversations/${cid}/messages`;
    const first = await s.api('POST', url, { content: 'm0' });
    assert.equal(first.status, 201, first.text);
    for (let i = 0; i < 200; i++) {
      const r = await s.api('GET', `/api/sessions/${first.body.session.id}`);
      if (r.body.session.status === 'processing') break;
      await new Promise((w) => setTimeout(w, 25));
    }
    const queued = [];
    for (let i = 1; i <= 3; i++) {
      const r = await s.api('POST', url, { content: `m${i}`, idempotencyKey: `k${i}` });
      assert.equal(r.status, 201, r.text);
      queued.push(r.body.session.id);
    }
    const refused = await s.api('POST', url, { content: 'm4', idempotencyKey: 'k4' });
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.body.code, 'too_many_pending');
    const users = async () =>
      (await s.api('GET', url)).body.messages.filter((m: { role: string }) => m.role === 'user').length;
    assert.equal(await users(), 4, 'the refused message was not stored');
    // A client that did not hear its answer retries with its key: the stored 201, not a 429.
    const replay = await s.api('POST', url, { content: 'm3', idempotencyKey: 'k3' });
    assert.equal(replay.status, 201);
    assert.equal(replay.body.session.id, queued[2]);
    // Once one leaves the queue, there is room again, and the same key now goes through.
    assert.equal((await s.api('POST', `/api/sessions/${queued[0]}/cancel`)).status, 200);
    const again = await s.api('POST', url, { content: 'm4', idempotencyKey: 'k4' });
    assert.equal(again.status, 201, again.text);
    // A retry queues a turn too.
    const retry = await s.api('POST', `/api/sessions/${queued[0]}/retry`);
    assert.equal(retry.status, 429, retry.text);
    assert.equal(retry.body.code, 'too_many_pending');
  });
});

describe('timeouts', () => {
  const s = useServer({ env: { GMGUI_HEADERS_TIMEOUT_MS: '500', GMGUI_REQUEST_TIMEOUT_MS: '1000' } });

  /** Opens a socket, writes `data`, and resolves with what came back once the server closed it. */
  function trickle(data: string): Promise<{ text: string; ms: number }> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const sock = connect(s.port, '127.0.0.1', () => sock.write(data));
      let text = '';
      sock.on('data', (d) => {
        text += d;
      });
      sock.on('error', () => undefined);
      sock.on('close', () => resolve({ text, ms: Date.now() - started }));
      setTimeout(() => {
        sock.destroy();
        reject(new Error(`the server kept the socket open for 8 s; got: ${text}`));
      }, 8_000).unref();
    });
  }

  test('headers that never finish: 408 request_timeout and the socket closed', async () => {
    const r = await trickle(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nX-Slow: `);
    assert.match(r.text, /^HTTP\/1\.1 408/);
    assert.match(r.text, /"code":"request_timeout"/);
    assert.ok(r.ms < 4_000, `closed after ${r.ms} ms`);
  });

  test('a body that never finishes: the socket is closed', async () => {
    const r = await trickle(
      `POST /api/conversations HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nAuthorization: Bearer ${s.token}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"agentId":',
    );
    assert.ok(r.ms < 5_000, `closed after ${r.ms} ms`);
    assert.doesNotMatch(r.text, /^HTTP\/1\.1 201/);
    assert.equal((await s.api('GET', '/api/conversations')).body.conversations.length, 0);
  });
});
