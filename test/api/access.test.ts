import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { assertError } from '../helpers/api-assert.ts';
import { useInProcess } from '../helpers/in-process.ts';
import { rawRequest } from '../helpers/raw-http.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

// CONTRACT section 2: the token (Bearer, ?token=, cookie), its file, Host and Origin checks. Over real
// sockets (Host is forged), against the in-process server; the generated token's file, printed URL and
// logs against a server process.

const s = useInProcess();

const get = (path: string, headers: Record<string, string> = {}) =>
  rawRequest({ port: s.port, method: 'GET', path, headers });

describe('token', () => {
  test('/api/health needs no token', async () => {
    const r = await get('/api/health');
    assert.equal(r.status, 200);
    assert.equal(r.body.ok, true);
  });

  test('Bearer works; missing, wrong, or another scheme is a 401', async () => {
    assert.equal((await get('/api/conversations', { authorization: `Bearer ${s.token}` })).status, 200);
    assertError(await get('/api/conversations'), 401, 'unauthorized');
    assertError(await get('/api/conversations', { authorization: `Bearer ${s.token}x` }), 401);
    assertError(await get('/api/conversations', { authorization: `Basic ${s.token}` }), 401);
    assertError(await get('/api/conversations', { authorization: 'Bearer ' }), 401);
  });

  test('a 401 does nothing', async () => {
    const before = (await s.api('GET', '/api/conversations')).body.conversations.length;
    const r = await rawRequest({
      port: s.port,
      method: 'POST',
      path: '/api/conversations',
      headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
      body: JSON.stringify({ agentId: 'demo' }),
    });
    assertError(r, 401);
    assert.equal((await s.api('GET', '/api/conversations')).body.conversations.length, before);
  });

  test('?token= works and sets an HttpOnly SameSite=Strict cookie that then works alone', async () => {
    const r = await get(`/api/conversations?token=${encodeURIComponent(s.token)}`);
    assert.equal(r.status, 200);
    const raw = r.headers['set-cookie'];
    const cookie = (Array.isArray(raw) ? raw : [raw ?? ''])[0];
    assert.match(cookie, /^gmgui_token=/);
    assert.match(cookie, /;\s*HttpOnly/i);
    assert.match(cookie, /;\s*SameSite=Strict/i);
    assert.match(cookie, /;\s*Path=\//);
    const pair = cookie.split(';')[0];
    assert.equal((await get('/api/conversations', { cookie: pair })).status, 200);
    assert.equal((await get('/api/conversations', { cookie: `theme=dark; ${pair}` })).status, 200);
    assertError(await get('/api/conversations', { cookie: 'gmgui_token=wrong' }), 401);
  });

  test('percent-encoding the path does not get around the token (the router decodes it)', async () => {
    // Regression: "/%61pi/conversations" was routed to /api/conversations without a token check.
    for (const path of [
      '/%61pi/conversations',
      '/%61%70%69/conversations',
      '/api/%63onversations',
      '/%73ync',
      '/%73tream',
    ]) {
      const r = await get(path);
      assertError(r, 401, 'unauthorized');
    }
    const write = await rawRequest({
      port: s.port,
      method: 'POST',
      path: '/%61pi/folders',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/' }),
    });
    assertError(write, 401);
    assert.equal((await get('/%61pi/conversations', { authorization: `Bearer ${s.token}` })).status, 200);
    assert.equal((await get('/%61pi/health')).status, 200, 'the public route stays public');
  });

  test('a wrong ?token= is a 401 and sets no cookie', async () => {
    const r = await get('/api/conversations?token=wrong');
    assertError(r, 401);
    assert.equal(r.headers['set-cookie'], undefined);
  });
});

describe('Host and Origin (DNS rebinding, cross-site requests)', () => {
  const auth = () => ({ authorization: `Bearer ${s.token}` });

  test('loopback names and IP literals are accepted', async () => {
    for (const host of [`127.0.0.1:${s.port}`, `localhost:${s.port}`, 'localhost', `[::1]:${s.port}`]) {
      assert.equal((await get('/api/conversations', { ...auth(), host })).status, 200, host);
    }
  });

  test('any other host name is a 403, even with the token and even for /api/health', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${s.port}`,
      'localhost.evil.example',
      '127.0.0.1.nip.io',
    ]) {
      assertError(await get('/api/conversations', { ...auth(), host }), 403, 'host_not_allowed');
      assertError(await get('/api/health', { host }), 403, 'host_not_allowed');
    }
  });

  test('the own origin is accepted; another origin, or "null", is a 403 and the write does not happen', async () => {
    const own = `http://127.0.0.1:${s.port}`;
    assert.equal((await get('/api/conversations', { ...auth(), origin: own })).status, 200);
    assert.equal(
      (
        await get('/api/conversations', {
          ...auth(),
          host: `localhost:${s.port}`,
          origin: `http://localhost:${s.port}`,
        })
      ).status,
      200,
    );
    const before = (await s.api('GET', '/api/conversations')).body.conversations.length;
    for (const origin of [
      'https://evil.example',
      `http://127.0.0.1:${s.port + 1}`,
      'null',
      `http://localhost:${s.port}`,
    ]) {
      const r = await rawRequest({
        port: s.port,
        method: 'POST',
        path: '/api/conversations',
        headers: { ...auth(), origin, 'content-type': 'application/json' },
        body: JSON.stringify({ agentId: 'demo' }),
      });
      assertError(r, 403, 'origin_not_allowed');
    }
    assert.equal((await s.api('GET', '/api/conversations')).body.conversations.length, before);
  });
});

describe('generated token and allowed origins', () => {
  test('without GMGUI_TOKEN: a 0600 token file, the printed URL carries it, it survives a restart, logs never show it', async () => {
    const first = await startServer({
      env: { GMGUI_TOKEN: '', LOG_LEVEL: 'trace', GMGUI_ALLOWED_ORIGINS: 'https://gm.example.ts.net,myhost' },
    });
    let second: TestServer | null = null;
    try {
      const file = join(first.dataDir, 'token');
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      const token = (await readFile(file, 'utf8')).trim();
      assert.ok(token.length >= 20, 'a long random token');
      const link = /gmgui is ready: open (\S+)/.exec(first.output())?.[1];
      assert.equal(link, `${first.url}/?token=${encodeURIComponent(token)}`);
      const h = (extra: Record<string, string>) => ({ authorization: `Bearer ${token}`, ...extra });
      const call = (path: string, headers: Record<string, string>) =>
        rawRequest({ port: first.port, method: 'GET', path, headers });

      assert.equal((await call('/api/conversations', h({}))).status, 200);
      assert.equal((await call(`/api/conversations?token=${token}`, {})).status, 200);
      assert.equal((await call('/api/conversations', { cookie: `gmgui_token=${token}` })).status, 200);
      assertError(await call('/api/conversations', {}), 401);
      // GMGUI_ALLOWED_ORIGINS: full origins and bare host names.
      assert.equal((await call('/api/conversations', h({ host: 'gm.example.ts.net' }))).status, 200);
      assert.equal(
        (
          await call(
            '/api/conversations',
            h({ host: 'gm.example.ts.net', origin: 'https://gm.example.ts.net' }),
          )
        ).status,
        200,
      );
      assert.equal((await call('/api/conversations', h({ host: 'myhost:8080' }))).status, 200);
      assertError(await call('/api/conversations', h({ host: 'otherhost' })), 403);
      assertError(await call('/api/conversations', h({ origin: 'https://evil.example' })), 403);
      // An error path too: a 500-free 404 with the token in the query.
      assert.equal((await call(`/api/conversations/nope?token=${token}`, {})).status, 404);

      await first.stop();
      // The same data dir keeps the same token.
      second = await startServer({ dataDir: first.dataDir, env: { GMGUI_TOKEN: '' } });
      assert.match(second.output(), new RegExp(`\\?token=${encodeURIComponent(token)}`));
      await second.stop();

      const logs = first
        .output()
        .split('\n')
        .filter((line) => !line.includes('gmgui is ready: open'))
        .join('\n');
      assert.match(logs, /"reqId"/, 'request logs were written (with request ids)');
      assert.ok(!logs.includes(token), 'the token appears in no log line');
    } finally {
      await first.stop();
      await second?.stop();
      await first.cleanup();
    }
  });
});
