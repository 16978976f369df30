import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { SQLITE_FILE } from '../../src/store/open.ts';
import { assertError } from '../helpers/api-assert.ts';
import { useInProcess } from '../helpers/in-process.ts';
import { setup } from '../helpers/use.ts';
import { rawRequest } from '../helpers/raw-http.ts';

// Every error status of CONTRACT section 3 in one place, always `{error, code}`, and never a 500 for
// bad input: a fast-check fuzz of routes, bodies, headers and queries. Against the in-process server;
// what needs a real socket (chunked bodies, forged Host, raw bytes) goes to the port it listens on.

const BODY_LIMIT = 4096;
const s = useInProcess({ env: { GMGUI_BODY_LIMIT: String(BODY_LIMIT) } });
let cid: string;

setup(async () => {
  const r = await s.api('POST', '/api/conversations', { agentId: 'demo' });
  cid = r.body.conversation.id;
});

describe('each error status', () => {
  test('400: malformed JSON, wrong types, missing fields, empty content, unknown agentId, bad If-Match', async () => {
    const msgs = `/api/conversations/${cid}/messages`;
    assertError(await s.api('POST', msgs, '{"content":'), 400, 'invalid_json');
    assertError(await s.api('POST', msgs, ''), 400, 'invalid_json');
    assertError(await s.api('POST', msgs, { content: 42 }), 400, 'invalid_request');
    assertError(await s.api('POST', msgs, {}), 400, 'invalid_request');
    assertError(await s.api('POST', msgs, { content: '' }), 400, 'invalid_request');
    assertError(await s.api('POST', msgs, { content: 'x', agentId: 'ghost' }), 400, 'unknown_agent');
    assertError(await s.api('POST', '/api/conversations', { agentId: 'ghost' }), 400, 'unknown_agent');
    assertError(
      await s.api('PATCH', `/api/conversations/${cid}`, { title: 'x' }, { 'if-match': 'v1' }),
      400,
      'invalid_if_match',
    );
    assertError(await s.api('GET', '/api/events?after=minus'), 400, 'invalid_request');
  });

  test('401: no token, wrong token', async () => {
    assertError(
      await s.api('GET', '/api/conversations', undefined, { authorization: '' }),
      401,
      'unauthorized',
    );
    assertError(await s.api('GET', '/api/conversations', undefined, { authorization: 'Bearer wrong' }), 401);
  });

  test('403: outside the roots, foreign Host, foreign Origin', async () => {
    assertError(await s.api('POST', '/api/folders', { path: '/' }), 403, 'outside_roots');
    const list = (headers: Record<string, string>) => s.api('GET', '/api/conversations', undefined, headers);
    assertError(await list({ host: 'evil.example' }), 403, 'host_not_allowed');
    assertError(await list({ origin: 'https://evil.example' }), 403, 'origin_not_allowed');
  });

  test('404: unknown conversation, message, session, route', async () => {
    assertError(await s.api('GET', '/api/conversations/conv_x'), 404, 'not_found');
    assertError(await s.api('GET', `/api/conversations/${cid}/messages/msg_x`), 404, 'not_found');
    assertError(await s.api('GET', '/api/sessions/sess_x'), 404, 'not_found');
    assertError(
      await s.api('POST', '/api/conversations/conv_x/messages', { content: 'x' }),
      404,
      'not_found',
    );
    assertError(await s.api('GET', '/api/nothing-here'), 404, 'not_found');
  });

  test('409: retrying a session that has not ended', async () => {
    // Fresh sessions are pending, processing or completed: none of them may be retried.
    const sent = await s.api('POST', `/api/conversations/${cid}/messages`, { content: 'for 409' });
    const r = await s.api('POST', `/api/sessions/${sent.body.session.id}/retry`);
    const now = (await s.api('GET', `/api/sessions/${sent.body.session.id}`)).body.session.status;
    if (['error', 'cancelled', 'interrupted'].includes(now)) {
      assert.equal(r.status, 201, 'the agent ended it before the retry: then a retry is allowed');
    } else {
      assertError(r, 409, 'not_retryable');
    }
  });

  test('412: stale If-Match', async () => {
    assertError(
      await s.api('PATCH', `/api/conversations/${cid}`, { title: 'x' }, { 'if-match': '999' }),
      412,
      'version_mismatch',
    );
  });

  test('413: a body over GMGUI_BODY_LIMIT, with or without Content-Length; nothing stored', async () => {
    const db = new Database(join(s.dataDir, SQLITE_FILE), { readonly: true });
    const count = () =>
      (db.prepare('SELECT count(*) AS n FROM messages WHERE content LIKE ?').get('"big%') as { n: number }).n;
    try {
      const big = { content: `big${'x'.repeat(BODY_LIMIT)}` };
      assertError(await s.api('POST', `/api/conversations/${cid}/messages`, big), 413, 'body_too_large');
      // Chunked: the server cannot know the size up front and must still stop at the limit.
      const res = await fetch(`${s.base}/api/conversations/${cid}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
        body: new Blob([JSON.stringify(big)]).stream(),
        duplex: 'half',
      } as RequestInit);
      const text = await res.text();
      assertError({ status: res.status, text, body: JSON.parse(text) }, 413, 'body_too_large');
      assert.equal(count(), 0);
      // Just under the limit is fine.
      const fits = await s.api('POST', `/api/conversations/${cid}/messages`, {
        content: `big${'y'.repeat(BODY_LIMIT - 100)}`,
      });
      assert.equal(fits.status, 201, fits.text);
      assert.equal(count(), 1);
    } finally {
      db.close();
    }
  });

  test('422: an idempotency key reused with another payload', async () => {
    const url = `/api/conversations/${cid}/messages`;
    assert.equal((await s.api('POST', url, { content: 'a', idempotencyKey: 'e422' })).status, 201);
    assertError(
      await s.api('POST', url, { content: 'b', idempotencyKey: 'e422' }),
      422,
      'idempotency_key_reused',
    );
  });

  test('bad percent-encoding, a forged cookie and unparseable HTTP are 400/401, not 500', async () => {
    const auth = { authorization: `Bearer ${s.token}` };
    assertError(
      await rawRequest({ port: s.port, method: 'GET', path: '/api/conversations/%E0%A4%A', headers: auth }),
      400,
    );
    assertError(
      await rawRequest({
        port: s.port,
        method: 'GET',
        path: '/api/conversations',
        headers: { cookie: 'gmgui_token=%E0%A4%A' },
      }),
      401,
    );
    // Not HTTP at all: Node's parser rejects it, and the answer still has our shape.
    const raw = await new Promise<string>((resolve, reject) => {
      const sock = connect(s.port, '127.0.0.1', () => sock.end('NOT HTTP AT ALL\r\n\r\n'));
      let out = '';
      sock.on('data', (d) => {
        out += d;
      });
      sock.on('close', () => resolve(out));
      sock.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 400 /);
    const json = raw.slice(raw.indexOf('\r\n\r\n') + 4);
    assertError({ status: 400, text: json, body: JSON.parse(json) }, 400, 'bad_request');
    // Someone else's badly encoded cookie next to a valid Bearer token does not get in the way.
    const withJunk = await rawRequest({
      port: s.port,
      method: 'GET',
      path: '/api/conversations',
      headers: { ...auth, cookie: 'other=%zz; gmgui_token=%E0' },
    });
    assert.equal(withJunk.status, 200, withJunk.text);
  });
});

// ---- fuzz ----

const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
const segment = fc.oneof(
  fc.constant('__CID__'),
  fc.constantFrom('conv_nope', 'msg_nope', 'sess_nope', '', '..', '%2e%2e', '%E0%A4%A', 'a'.repeat(250)),
  printable.map((x) => encodeURIComponent(x)),
);
const routes = fc.constantFrom(
  ['GET', '/api/conversations'],
  ['POST', '/api/conversations'],
  ['GET', '/api/conversations/:c'],
  ['POST', '/api/conversations/:c'],
  ['PATCH', '/api/conversations/:c'],
  ['GET', '/api/conversations/:c/messages'],
  ['POST', '/api/conversations/:c/messages'],
  ['GET', '/api/conversations/:c/messages/:m'],
  ['GET', '/api/conversations/:c/sessions'],
  ['GET', '/api/conversations/:c/sessions/latest'],
  ['GET', '/api/conversations/:c/events'],
  ['GET', '/api/sessions/:m'],
  ['POST', '/api/sessions/:m/retry'],
  ['GET', '/api/events'],
  ['GET', '/api/home'],
  ['POST', '/api/folders'],
  ['GET', '/api/agents'],
);
const knownFieldBody = fc.dictionary(
  fc.constantFrom(
    'agentId',
    'title',
    'cwd',
    'content',
    'folderContext',
    'idempotencyKey',
    'status',
    'settings',
    'path',
  ),
  fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('demo', '/', '..', 'archived'), printable),
  { maxKeys: 4 },
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  knownFieldBody.map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 60 }),
);
const query = fc.dictionary(fc.constantFrom('after', 'limit', 'status', 'q', 'token'), printable, {
  maxKeys: 3,
});
const headers = fc.record(
  {
    'if-match': printable,
    'idempotency-key': printable,
    'content-type': fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-8',
    ),
    cookie: printable.map((v) => `gmgui_token=${v}`),
  },
  { requiredKeys: [] },
);

/** A path with random characters percent-encoded (upper or lower hex), as a client may send it. */
function encodeSome(path: string, mask: boolean[], upper: boolean): string {
  return [...path]
    .map((ch, i) => {
      if (!mask[i % mask.length] || ch === '/') return ch;
      const hex = ch.charCodeAt(0).toString(16);
      return `%${upper ? hex.toUpperCase() : hex}`;
    })
    .join('');
}

describe('no way in without the token', () => {
  test('fuzz: API paths with random characters percent-encoded never answer data without the token', async () => {
    const paths = [
      '/api/conversations',
      `/api/conversations/${cid}`,
      `/api/conversations/${cid}/messages`,
      `/api/conversations/${cid}/events`,
      '/api/events',
      '/api/home',
      '/api/agents',
      '/sync',
      '/stream',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        fc.constantFrom('GET', 'POST'),
        async (path, mask, upper, method) => {
          const encoded = encodeSome(path, mask, upper);
          const r = await rawRequest({
            port: s.port,
            method,
            path: encoded,
            headers: { 'content-type': 'application/json' },
            body: method === 'POST' ? '{}' : undefined,
          });
          const json = String(r.headers['content-type'] ?? '').includes('json');
          assert.ok(
            !(r.status < 300 && json),
            `${method} ${encoded} answered ${r.status} without a token: ${r.text}`,
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('never a 500 for bad input', () => {
  test('fuzz: random routes, ids, bodies, queries and headers get a status < 500 and {error, code}', async () => {
    await fc.assert(
      fc.asyncProperty(
        routes,
        segment,
        segment,
        body,
        query,
        headers,
        async ([method, pattern], c, m, b, q, h) => {
          const path =
            pattern
              .replace(':c', c === '__CID__' ? cid : c)
              .replace(':m', m === '__CID__' ? 'sess_nope' : m) +
            (Object.keys(q).length ? `?${new URLSearchParams(q)}` : '');
          const r = await rawRequest({
            port: s.port,
            method,
            path,
            headers: {
              authorization: `Bearer ${s.token}`,
              ...(b !== undefined ? { 'content-type': 'application/json' } : {}),
              ...h,
            },
            body: b,
          });
          assert.ok(r.status < 500, `${method} ${path} ${b ?? ''} → ${r.status} ${r.text}`);
          if (r.status >= 400) assertError(r, r.status);
        },
      ),
      // GMGUI_FUZZ_RUNS=5000 for a longer hunt; the default keeps `npm test` quick.
      { numRuns: Number(process.env.GMGUI_FUZZ_RUNS ?? 250) },
    );
    assert.equal((await s.api('GET', '/api/health')).status, 200);
  });
});
