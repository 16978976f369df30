import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { assertError } from '../helpers/api-assert.ts';
import { type ServerHandle, useServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';
import { finished, type Json, newConversation, textOf, toolsAgent } from './helpers.ts';

// Attachments (issue 11) through the real server and a real agent process
// (test/fixtures/agents/tools-agent.ts, which answers with the SHA-256 of what each prompt block held):
// image bytes and file contents arrive exactly; what the agent cannot take is refused before anything
// is stored; the stored image is served at its url; idempotency covers the bytes.

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
/** A PNG signature and random bytes: the server checks the signature, the agent hashes it all. */
const png = (n: number) =>
  Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(n)]);
const image = (bytes: Buffer, name?: string) => ({
  type: 'image',
  mimeType: 'image/png',
  data: bytes.toString('base64'),
  ...(name ? { name } : {}),
});

function post(s: ServerHandle, id: string, body: Json, headers: Record<string, string> = {}) {
  return s.api('POST', `/api/conversations/${id}/messages`, body, headers);
}

async function blocksSeen(s: ServerHandle, sessionId: string): Promise<Json[]> {
  const r = await finished(s, sessionId);
  assert.equal(r.session.status, 'completed', JSON.stringify(r.session));
  return JSON.parse(textOf(r.events));
}

describe('attachments', () => {
  const rootDir = tempDir('gmgui-attach-root-');
  const outside = tempDir('gmgui-attach-outside-');
  const s = useServer({
    rootDir,
    env: withAgentsFile([toolsAgent('attach', 'attach'), toolsAgent('link', 'attach-link')]),
  });

  test('an image and a file arrive at the agent exactly; the message lists them; the image is served', async () => {
    mkdirSync(join(rootDir, 'proj'), { recursive: true });
    const text = 'héllo wörld ✓\nsecond line\n';
    writeFileSync(join(rootDir, 'proj', 'notes.md'), text);
    const c = await newConversation(s, 'attach', join(rootDir, 'proj'));
    const bytes = png(300_000);
    const r = await post(s, c.id, {
      content: 'look at these',
      attachments: [image(bytes, 'shot.png'), { type: 'file', path: 'notes.md' }],
    });
    assert.equal(r.status, 201, r.text);
    const url = `/api/attachments/${sha(bytes)}`;
    assert.deepEqual(r.body.message.attachments, [
      { type: 'image', name: 'shot.png', mimeType: 'image/png', size: bytes.length, sha256: sha(bytes), url },
      { type: 'file', name: 'notes.md', path: join(rootDir, 'proj', 'notes.md') },
    ]);
    const seen = await blocksSeen(s, r.body.session.id);
    assert.deepEqual(seen, [
      { type: 'text', text: 'look at these' },
      { type: 'image', mimeType: 'image/png', size: bytes.length, sha256: sha(bytes) },
      {
        type: 'resource',
        uri: pathToFileURL(join(rootDir, 'proj', 'notes.md')).href,
        sha256: sha(text),
        text,
      },
    ]);
    // Stored with the message (a reload shows them) and served with the token, as it is.
    const messages = (await s.api('GET', `/api/conversations/${c.id}/messages`)).body.messages;
    assert.deepEqual(messages[0].attachments, r.body.message.attachments);
    const res = await fetch(`${s.base}${url}`, { headers: { authorization: `Bearer ${s.token}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes));
    assert.equal((await fetch(`${s.base}${url}`)).status, 401);
    assertError(await s.api('GET', `/api/attachments/${'0'.repeat(64)}`), 404, 'not_found');
    assertError(await s.api('GET', '/api/attachments/not-a-hash'), 404, 'not_found');
  });

  test('an image alone is a message; without embedded context a file is a link', async () => {
    const c = await newConversation(s, 'attach');
    const bytes = png(10);
    const r = await post(s, c.id, { content: '', attachments: [image(bytes)] });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.message.attachments[0].name, `image-${sha(bytes).slice(0, 8)}.png`);
    assert.deepEqual(await blocksSeen(s, r.body.session.id), [
      { type: 'image', mimeType: 'image/png', size: bytes.length, sha256: sha(bytes) },
    ]);
    writeFileSync(join(rootDir, 'link.txt'), 'abc');
    const l = await newConversation(s, 'link');
    const r2 = await post(s, l.id, {
      content: 'see',
      attachments: [{ type: 'file', path: join(rootDir, 'link.txt') }],
    });
    assert.equal(r2.status, 201, r2.text);
    assert.deepEqual((await blocksSeen(s, r2.body.session.id))[1], {
      type: 'resource_link',
      uri: pathToFileURL(join(rootDir, 'link.txt')).href,
      name: 'link.txt',
      size: 3,
    });
  });

  test('refusals change nothing: images for an agent without them, outside files, bad images', async () => {
    writeFileSync(join(outside, 'secret.txt'), 'no');
    writeFileSync(join(rootDir, 'fine.txt'), 'yes');
    const c = await newConversation(s, 'attach');
    const l = await newConversation(s, 'link');
    const refused = await post(s, l.id, { content: 'x', attachments: [image(png(5))] });
    assertError(refused, 400, 'unsupported_attachment');
    assert.match(refused.body.error, /does not take images/);
    assertError(
      await post(s, c.id, {
        content: 'x',
        attachments: [{ type: 'file', path: join(outside, 'secret.txt') }],
      }),
      403,
      'outside_roots',
    );
    assertError(
      await post(s, c.id, { content: 'x', attachments: [{ type: 'file', path: '../../../../etc/passwd' }] }),
      403,
      'outside_roots',
    );
    assertError(
      await post(s, c.id, { content: 'x', attachments: [{ type: 'file', path: 'missing.txt' }] }),
      404,
      'not_found',
    );
    assertError(
      await post(s, c.id, { content: 'x', attachments: [{ type: 'file', path: rootDir }] }),
      400,
      'not_a_file',
    );
    const gif = { type: 'image', mimeType: 'image/svg+xml', data: Buffer.from('<svg/>').toString('base64') };
    assertError(await post(s, c.id, { content: 'x', attachments: [gif] }), 400, 'unsupported_attachment');
    const lying = { type: 'image', mimeType: 'image/jpeg', data: png(5).toString('base64') };
    assertError(await post(s, c.id, { content: 'x', attachments: [lying] }), 400, 'invalid_request');
    assertError(
      await post(s, c.id, {
        content: 'x',
        attachments: [{ type: 'image', mimeType: 'image/png', data: 'not base64!' }],
      }),
      400,
      'invalid_request',
    );
    assertError(
      await post(s, c.id, { content: 'x', attachments: [{ type: 'video', path: 'a' }] }),
      400,
      'invalid_request',
    );
    assertError(await post(s, c.id, { content: ' ', attachments: [] }), 400, 'invalid_request');
    const many = Array.from({ length: 11 }, () => ({ type: 'file', path: 'fine.txt' }));
    assertError(await post(s, c.id, { content: 'x', attachments: many }), 400, 'invalid_request');
    for (const id of [c.id, l.id])
      assert.deepEqual(
        (await s.api('GET', `/api/conversations/${id}/messages`)).body.messages,
        [],
        'nothing stored',
      );
  });

  test('idempotency covers the bytes: same key and image replays, other bytes are a 422', async () => {
    const c = await newConversation(s, 'attach');
    const bytes = png(1000);
    const body = { content: 'once', attachments: [image(bytes, 'a.png')], idempotencyKey: 'attach-key-1' };
    const first = await post(s, c.id, body);
    assert.equal(first.status, 201, first.text);
    const again = await post(s, c.id, body);
    assert.equal(again.status, 201);
    assert.equal(again.text, first.text);
    const other = await post(s, c.id, { ...body, attachments: [image(png(1000), 'a.png')] });
    assertError(other, 422, 'idempotency_key_reused');
    await finished(s, first.body.session.id);
    assert.equal(
      (await s.api('GET', `/api/conversations/${c.id}/messages`)).body.messages.filter(
        (m: Json) => m.role === 'user',
      ).length,
      1,
    );
  });
});
