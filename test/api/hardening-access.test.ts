import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { assertError } from '../helpers/api-assert.ts';
import { rawRequest } from '../helpers/raw-http.ts';
import { type TestServer, useServer } from '../helpers/server.ts';

// Issue 10, access: the token is redacted from logged URLs however the query spells it; the cookie is
// Secure when the request came over HTTPS (X-Forwarded-Proto believed only from GMGUI_TRUST_PROXY);
// Origin is compared by scheme, host and port; Host is parsed strictly. README "Access".

const get = (s: TestServer, path: string, headers: Record<string, string> = {}) =>
  rawRequest({ port: s.port, method: 'GET', path, headers });

const cookieOf = (r: { headers: Record<string, string | string[] | undefined> }): string => {
  const raw = r.headers['set-cookie'];
  return (Array.isArray(raw) ? raw : [raw ?? ''])[0];
};

describe('the token in logged URLs', () => {
  const token = 'redact-me-9f3c1d7e5b2a';
  const s = useServer({ token, env: { LOG_LEVEL: 'info' } });

  test('?%74oken=, ?tok%65n= and other spellings authenticate (or not) and never reach the log', async () => {
    // The query parser decodes keys: these two are ?token= to the access check.
    for (const q of [`%74oken=${token}`, `tok%65n=${token}`, `a=1&%74%6f%6b%65%6e=${token}&b=2`]) {
      assert.equal((await get(s, `/api/conversations?${q}`)).status, 200, q);
    }
    // Not ?token= to the parser, but a token all the same as far as a log reader is concerned.
    for (const q of [`%2574oken=${token}`, `TOKEN=${token}`, `x_token=${token}`, `to%6ben=${token}`]) {
      await get(s, `/api/health?${q}`);
    }
    const r = await get(s, `/%73tream?conversationId=x&%74oken=${token}`);
    assert.ok(r.status >= 400, 'a plain GET on a socket path is refused, after logging its URL');
    // Logging is asynchronous: wait for the last request's line.
    for (let i = 0; i < 50 && !s.output().includes('/%73tream?'); i++)
      await new Promise((w) => setTimeout(w, 20));
    const out = s
      .output()
      .split('\n')
      .filter((line) => !line.includes('gmgui is ready: open'))
      .join('\n');
    assert.match(out, /"url":"\/api\/conversations\?%74oken=\[redacted\]"/);
    assert.match(out, /a=1&%74%6f%6b%65%6e=\[redacted\]&b=2/);
    assert.match(out, /%2574oken=\[redacted\]/);
    assert.ok(!out.includes(token), 'the token appears in no log line');
  });
});

describe('Secure cookie and Origin behind a trusted proxy', () => {
  const s = useServer({ env: { GMGUI_TRUST_PROXY: 'loopback' } });

  test('X-Forwarded-Proto: https from a trusted proxy makes the cookie Secure; plain http does not', async () => {
    const overHttps = await get(s, `/api/conversations?token=${s.token}`, { 'x-forwarded-proto': 'https' });
    assert.equal(overHttps.status, 200);
    assert.match(cookieOf(overHttps), /;\s*Secure/i);
    assert.match(cookieOf(overHttps), /;\s*HttpOnly/i);
    const overHttp = await get(s, `/api/conversations?token=${s.token}`);
    assert.equal(overHttp.status, 200);
    assert.match(cookieOf(overHttp), /^gmgui_token=/);
    assert.doesNotMatch(cookieOf(overHttp), /Secure/i);
  });

  test('the own origin is the scheme the proxy saw: https accepted, http refused', async () => {
    const auth = { authorization: `Bearer ${s.token}`, 'x-forwarded-proto': 'https' };
    assert.equal(
      (await get(s, '/api/conversations', { ...auth, origin: `https://127.0.0.1:${s.port}` })).status,
      200,
    );
    assertError(
      await get(s, '/api/conversations', { ...auth, origin: `http://127.0.0.1:${s.port}` }),
      403,
      'origin_not_allowed',
    );
  });
});

describe('without a trusted proxy', () => {
  const s = useServer({ env: { GMGUI_ALLOWED_ORIGINS: 'https://gm.example.net,tailhost' } });
  const auth = () => ({ authorization: `Bearer ${s.token}` });

  test('X-Forwarded-Proto is ignored: no Secure cookie, and the own origin stays http', async () => {
    const r = await get(s, `/api/conversations?token=${s.token}`, { 'x-forwarded-proto': 'https' });
    assert.equal(r.status, 200);
    assert.doesNotMatch(cookieOf(r), /Secure/i);
    assertError(
      await get(s, '/api/conversations', {
        ...auth(),
        'x-forwarded-proto': 'https',
        origin: `https://127.0.0.1:${s.port}`,
      }),
      403,
      'origin_not_allowed',
    );
  });

  test('Origin must match scheme, host and port; a write from another one changes nothing', async () => {
    const own = `http://127.0.0.1:${s.port}`;
    assert.equal((await get(s, '/api/conversations', { ...auth(), origin: own })).status, 200);
    for (const origin of [
      `https://127.0.0.1:${s.port}`,
      `http://127.0.0.1:${s.port + 1}`,
      'http://127.0.0.1',
      `ws://127.0.0.1:${s.port}`,
      `http://127.0.0.1:${s.port}/path`,
      `http://127.0.0.1:${s.port}.evil.example`,
    ]) {
      assertError(await get(s, '/api/conversations', { ...auth(), origin }), 403, 'origin_not_allowed');
    }
    // A write from the same host over the other scheme is refused and does nothing.
    const before = (await s.api('GET', '/api/conversations')).body.conversations.length;
    const write = await rawRequest({
      port: s.port,
      method: 'POST',
      path: '/api/conversations',
      headers: { ...auth(), origin: `https://127.0.0.1:${s.port}`, 'content-type': 'application/json' },
      body: JSON.stringify({ agentId: 'demo' }),
    });
    assertError(write, 403, 'origin_not_allowed');
    assert.equal((await s.api('GET', '/api/conversations')).body.conversations.length, before);
  });

  test('allowed origins: a full origin exactly; a bare host with either scheme', async () => {
    const at = (host: string, origin: string) => get(s, '/api/conversations', { ...auth(), host, origin });
    assert.equal((await at('gm.example.net', 'https://gm.example.net')).status, 200);
    // The host's own origin over plain http is same-origin; another port or another host is not.
    assert.equal((await at('gm.example.net', 'http://gm.example.net')).status, 200);
    assertError(await at('gm.example.net', 'https://gm.example.net:8443'), 403, 'origin_not_allowed');
    assertError(await at('gm.example.net', 'https://tailhost.evil.example'), 403, 'origin_not_allowed');
    assert.equal((await at('tailhost', 'http://tailhost')).status, 200);
    assert.equal((await at('tailhost', 'https://tailhost')).status, 200);
  });

  test('Host is parsed strictly: malformed forms are refused even with the token', async () => {
    for (const host of [
      '[::1]anything',
      '[::1',
      '[::1]:',
      '[127.0.0.1]',
      '::1',
      `127.0.0.1:${s.port}:1`,
      '127.0.0.1:99999',
      '127.0.0.1:0',
      '127.0.0.1:-1',
      'local host',
      'localhost/evil',
      'localhost@evil.example',
      'exa%6dple',
    ]) {
      assertError(await get(s, '/api/conversations', { ...auth(), host }), 403, 'host_not_allowed');
      assertError(await get(s, '/api/health', { host }), 403, 'host_not_allowed');
    }
    for (const host of [`[::1]:${s.port}`, '[::1]', `LOCALHOST:${s.port}`, '127.0.0.1']) {
      assert.equal((await get(s, '/api/conversations', { ...auth(), host })).status, 200, host);
    }
    // An empty Host (an HTTP client fills one in, so over a bare socket).
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      const sock = connect(s.port, '127.0.0.1', () =>
        sock.write('GET /api/health HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n'),
      );
      sock.on('data', (d) => {
        text += d;
      });
      sock.on('close', () => resolve(text));
    });
    assert.match(answer, /^HTTP\/1\.1 (403|400)/);
  });
});
