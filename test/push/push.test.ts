import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventOf, finished, type Json, newConversation, send, sleep, waitFor } from '../agents/helpers.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';
import {
  checkVapid,
  type DeviceKeys,
  decryptPush,
  deviceKeys,
  type FakePushService,
  type Received,
  startPushService,
  subscriptionJson,
} from './push-service.ts';

// Web Push end to end (docs/CONTRACT.md "Push and the installable app"): the shipped server process, the demo agent over
// ACP, and a push service of the test's own on loopback HTTPS. Each push is decrypted here with the
// device keys the test made, as a browser would, and its VAPID signature checked.

const SUBJECT = 'mailto:ops@push-test.invalid';
/** The demo asks permission to edit NOTES.md for any ordinary prompt (src/agents/demo/script.ts). */
const ASKS_PERMISSION = 'Please tidy the notes';

describe('Web Push: a push service of our own on loopback', () => {
  let push: FakePushService;
  let s: TestServer;
  let publicKey = '';
  const devices: Record<string, DeviceKeys> = { a: deviceKeys(), b: deviceKeys(), c: deviceKeys() };
  const endpoint = (name: string) => `${push.origin}/push/${name}`;
  const to = (name: string): Received[] => push.received.filter((r) => r.path === `/push/${name}`);
  const payloadOf = (r: Received, name: string): Json => JSON.parse(decryptPush(r.body, devices[name]));
  const start = (dataDir?: string, rootDir?: string, token?: string) =>
    startServer({
      dataDir,
      rootDir,
      token,
      env: {
        NODE_EXTRA_CA_CERTS: push.caFile,
        GMGUI_DEMO_STEP_MS: '5',
        // Every finished turn is pushed (to devices that want them), however short.
        GMGUI_PUSH_MIN_TURN_MS: '0',
        GMGUI_PUSH_SUBJECT: SUBJECT,
      },
    });
  const subscribe = (name: string, preference?: string) =>
    s.api('POST', '/api/push/subscriptions', {
      ...subscriptionJson(endpoint(name), devices[name]),
      preference,
    });
  /** Gives the server time to push what it should not: a wrong push would be on its way by then. */
  const settle = () => sleep(700);
  const answer = (sessionId: string, requestId: string) =>
    s.api('POST', `/api/sessions/${sessionId}/permissions/${requestId}`, { optionId: 'allow_once' });

  before(async () => {
    push = await startPushService(tempDir('gmgui-push-'));
    s = await start();
  });
  after(async () => {
    await s?.stop();
    await s?.cleanup();
    await push?.close();
  });

  test('the key, subscribing (idempotent by endpoint) and bad input', async () => {
    const key = await s.api('GET', '/api/push/key');
    assert.equal(key.status, 200);
    publicKey = key.body.publicKey;
    assert.equal(Buffer.from(publicKey, 'base64url').length, 65);
    assert.equal((await s.api('GET', '/api/push/key')).body.publicKey, publicKey, 'made once');
    assert.equal(statSync(join(s.dataDir, 'vapid.json')).mode & 0o777, 0o600);

    const first = await subscribe('a');
    assert.equal(first.status, 201, first.text);
    assert.deepEqual(Object.keys(first.body.subscription).sort(), [
      'created_at',
      'endpoint',
      'preference',
      'updated_at',
    ]);
    assert.equal(first.body.subscription.preference, 'all');
    const again = await subscribe('a');
    assert.equal(again.status, 200);
    assert.equal(again.body.subscription.created_at, first.body.subscription.created_at);
    assert.equal(statSync(join(s.dataDir, 'push-subscriptions.json')).mode & 0o777, 0o600);

    const good = subscriptionJson(endpoint('bad'), devices.a);
    const bad: Array<[string, unknown]> = [
      ['no body', undefined],
      ['http endpoint', { ...good, endpoint: good.endpoint.replace('https:', 'http:') }],
      ['not a URL', { ...good, endpoint: 'push me' }],
      [
        'credentials in the endpoint',
        { ...good, endpoint: good.endpoint.replace('https://', 'https://u:p@') },
      ],
      ['no keys', { endpoint: good.endpoint }],
      ['short auth', { ...good, keys: { ...good.keys, auth: 'AAAA' } }],
      [
        'compressed point',
        { ...good, keys: { ...good.keys, p256dh: Buffer.alloc(65, 3).toString('base64url') } },
      ],
      ['not base64url', { ...good, keys: { ...good.keys, auth: '!!!!!!!!!!!!!!!!!!!!!!' } }],
      ['unknown preference', { ...good, preference: 'sometimes' }],
    ];
    for (const [why, body] of bad) {
      const r = await s.api('POST', '/api/push/subscriptions', body);
      assert.equal(r.status, 400, `${why}: ${r.text}`);
      assert.equal(r.body.code, 'invalid_request', why);
      assert.equal(typeof r.body.error, 'string');
    }
    // Nothing of those was stored.
    const patch = await s.api('PATCH', '/api/push/subscriptions', {
      endpoint: good.endpoint,
      preference: 'off',
    });
    assert.equal(patch.status, 404);
    assert.equal(patch.body.code, 'not_found');
    const badPref = await s.api('PATCH', '/api/push/subscriptions', {
      endpoint: endpoint('a'),
      preference: 'loud',
    });
    assert.equal(badPref.status, 400);
    const gone = await s.api('DELETE', '/api/push/subscriptions', { endpoint: good.endpoint });
    assert.deepEqual([gone.status, gone.body], [200, { deleted: false }]);
    // Like every API route: no token, nothing.
    for (const [method, path] of [
      ['GET', '/api/push/key'],
      ['POST', '/api/push/subscriptions'],
    ]) {
      const r = await fetch(`${s.base}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? JSON.stringify(subscriptionJson(endpoint('x'), devices.a)) : undefined,
      });
      assert.equal(r.status, 401, `${method} ${path}`);
    }
    assert.equal(push.received.length, 0, 'nothing pushed yet');
  });

  test('a permission request is exactly one push, decrypted to the payload naming the conversation', async () => {
    const conv = await newConversation(s, 'demo');
    const session = await send(s, conv.id, ASKS_PERMISSION);
    const ask = await eventOf(s, session.id, 'permission_requested');
    await waitFor('the push', async () => to('a').length > 0, 20_000);
    await settle();
    assert.equal(push.received.length, 1, 'one push for one permission request');
    const [r] = to('a');
    assert.equal(r.headers['content-encoding'], 'aes128gcm');
    assert.equal(r.headers.urgency, 'high');
    assert.ok(Number(r.headers.ttl) > 0);
    const vapid = checkVapid(r.headers, push.origin);
    assert.deepEqual(vapid, { sub: SUBJECT, k: publicKey });
    assert.deepEqual(payloadOf(r, 'a'), {
      kind: 'permission_requested',
      conversationId: conv.id,
      title: conv.title,
      body: 'Needs your permission: Edit NOTES.md',
      url: `/#/c/${conv.id}`,
    });

    // Answered, the turn ends: a device that wants everything hears of that too.
    assert.equal((await answer(session.id, ask.requestId)).status, 200);
    assert.equal((await finished(s, session.id)).session.status, 'completed');
    await waitFor('the turn-ended push', async () => to('a').length > 1, 20_000);
    const ended = payloadOf(to('a')[1], 'a');
    assert.equal(ended.kind, 'turn_ended');
    assert.equal(ended.conversationId, conv.id);
    assert.match(ended.body, /^Finished after \d+ s\.$/);
    assert.equal(to('a')[1].headers.urgency, 'normal');
  });

  test('a 410 from the push service drops the subscription; preferences choose what is pushed', async () => {
    assert.equal((await subscribe('b', 'needed')).status, 201);
    assert.equal((await subscribe('c', 'all')).status, 201);
    push.answer.set('/push/a', 410);
    const before = { a: to('a').length, b: to('b').length, c: to('c').length };
    const conv = await newConversation(s, 'demo');

    const one = await send(s, conv.id, ASKS_PERMISSION);
    const ask = await eventOf(s, one.id, 'permission_requested');
    await waitFor(
      'pushes to a, b and c',
      async () => to('a').length > before.a && to('b').length > before.b && to('c').length > before.c,
    );
    for (const name of ['a', 'b', 'c'])
      assert.equal(payloadOf(to(name).at(-1) as Received, name).conversationId, conv.id);
    await waitFor('a dropped', async () => {
      const r = await s.api('PATCH', '/api/push/subscriptions', {
        endpoint: endpoint('a'),
        preference: 'all',
      });
      return r.status === 404;
    });
    const file = JSON.parse(await readFile(join(s.dataDir, 'push-subscriptions.json'), 'utf8'));
    assert.deepEqual(file.subscriptions.map((x: Json) => x.endpoint).sort(), [endpoint('b'), endpoint('c')]);

    // The turn ends: c (all) hears of it, b (only when needed) does not, a is gone.
    await answer(one.id, ask.requestId);
    await finished(s, one.id);
    await waitFor('the turn-ended push to c', async () => to('c').length > before.c + 1);
    assert.equal(payloadOf(to('c').at(-1) as Received, 'c').kind, 'turn_ended');

    // Next event: c turned off, so only b gets the permission request, and a gets no request at all.
    assert.equal(
      (await s.api('PATCH', '/api/push/subscriptions', { endpoint: endpoint('c'), preference: 'off' }))
        .status,
      200,
    );
    const mid = { a: to('a').length, b: to('b').length, c: to('c').length };
    const two = await send(s, conv.id, ASKS_PERMISSION);
    await eventOf(s, two.id, 'permission_requested');
    await waitFor('the push to b', async () => to('b').length > mid.b);
    await settle();
    assert.deepEqual(
      { a: to('a').length, b: to('b').length, c: to('c').length },
      { a: mid.a, b: mid.b + 1, c: mid.c },
      'b only, once',
    );
    assert.equal(mid.b, before.b + 1, 'b heard nothing of the turn that ended');
    assert.equal(payloadOf(to('b').at(-1) as Received, 'b').kind, 'permission_requested');
  });

  test('the keys and the devices survive a restart; DELETE removes a device', async () => {
    const { dataDir, rootDir, token } = s;
    await s.stop();
    s = await start(dataDir, rootDir, token);
    assert.equal((await s.api('GET', '/api/push/key')).body.publicKey, publicKey);
    const r = await s.api('PATCH', '/api/push/subscriptions', { endpoint: endpoint('b'), preference: 'all' });
    assert.equal(r.status, 200);
    assert.equal(r.body.subscription.preference, 'all');
    const del = await s.api('DELETE', '/api/push/subscriptions', { endpoint: endpoint('b') });
    assert.deepEqual([del.status, del.body], [200, { deleted: true }]);
    assert.equal(
      (await s.api('PATCH', '/api/push/subscriptions', { endpoint: endpoint('b'), preference: 'all' }))
        .status,
      404,
    );
  });
});
