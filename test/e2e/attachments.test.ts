import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { ROOT } from '../helpers/server.ts';
import { finished, type Json, textOf, toolsAgent } from '../agents/helpers.ts';
import {
  browserSuite,
  type E2E,
  lastSessionId,
  openConversation,
  openWithToken,
  PHONE_TOUCH,
  phoneContext,
  useE2E,
  waitFor,
  waitStatus,
} from './harness.ts';

// Attachments in the web UI (issue 11, CONTRACT section 11): an image pasted into the composer, a
// picked one on a phone, the preview removable before sending, the client's limits and the server's
// refusals said in words, the outbox carrying the bytes across a reload. The agent is the fixture
// (test/fixtures/agents/tools-agent.ts "attach") that answers with the SHA-256 of every image it got,
// so "the agent received exactly those bytes" is checked end to end.

const SHOTS = join(ROOT, '.tmp', 'shots');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A real PNG (random coloured pixels: each call other bytes) that a browser can draw. */
function png(w = 48, h = 32): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = Buffer.concat(
    Array.from({ length: h }, () => Buffer.concat([Buffer.from([0]), randomBytes(w * 3)])),
  );
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Pastes `bytes` as an image file into the message box, as a screenshot from the clipboard arrives. */
async function pasteImage(page: Page, bytes: Buffer, name = ''): Promise<void> {
  await page.locator('#composer-input').evaluate(
    (el, { b64, name }) => {
      // Runs in the page (the test's tsconfig has no DOM types).
      const g = globalThis as unknown as {
        DataTransfer: new () => { items: { add(f: unknown): void } };
        ClipboardEvent: new (type: string, init: object) => unknown;
        File: new (parts: unknown[], name: string, o: object) => unknown;
      };
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new g.DataTransfer();
      dt.items.add(new g.File([data], name || 'image.png', { type: 'image/png' }));
      const ev = new g.ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true });
      (el as unknown as { dispatchEvent(e: unknown): boolean }).dispatchEvent(ev);
    },
    { b64: bytes.toString('base64'), name },
  );
}

async function newAttachConversation(e2e: E2E, agentId = 'attach'): Promise<string> {
  const r = await e2e.server.api('POST', '/api/conversations', { agentId, title: `attach ${agentId}` });
  assert.equal(r.status, 201, r.text);
  return r.body.conversation.id;
}

/** What the agent saw of each prompt block (the fixture answers with it as JSON). */
async function agentSaw(e2e: E2E, sessionId: string): Promise<Json[]> {
  const r = await finished(e2e.server, sessionId);
  assert.equal(r.session.status, 'completed', JSON.stringify(r.session));
  return JSON.parse(textOf(r.events));
}

async function userMessages(e2e: E2E, id: string): Promise<Json[]> {
  const r = await e2e.server.api('GET', `/api/conversations/${id}/messages`);
  return r.body.messages.filter((m: Json) => m.role === 'user');
}

/** The thread's images of stored messages that the browser has drawn (loaded, with a size). */
async function drawnImages(page: Page): Promise<string[]> {
  return page
    .locator('article.msg.user:not(.outbox) .att-image img')
    .evaluateAll((imgs) =>
      (imgs as unknown as Array<{ complete: boolean; naturalWidth: number; src: string }>)
        .filter((i) => i.complete && i.naturalWidth > 0)
        .map((i) => new URL(i.src).pathname),
    );
}

browserSuite('web UI: attachments', () => {
  const e2e = useE2E({ env: withAgentsFile([toolsAgent('attach', 'attach')]) });

  test('paste an image, remove one, send: the thread shows it, the agent got its bytes, a reload keeps it', async () => {
    const { page } = await e2e.newContext();
    const id = await newAttachConversation(e2e);
    await openConversation(page, id);
    const keep = png();
    const drop = png();
    await pasteImage(page, keep, 'keep.png');
    await pasteImage(page, drop, 'drop.png');
    await page.locator('.att-draft').nth(1).waitFor();
    assert.equal(await page.locator('.att-draft img').count(), 2, 'both previews are thumbnails');
    await page.getByRole('button', { name: 'Remove drop.png' }).click();
    await waitFor(async () => (await page.locator('.att-draft').count()) === 1, 5_000, 'one preview left');
    await page.locator('#composer-input').fill('what is in this picture?');
    await page.screenshot({ path: join(SHOTS, 'attach-desktop-preview.png') });
    await page.locator('#composer-input').press('Enter');
    await page.locator('.att-draft').waitFor({ state: 'detached' });

    const sid = await lastSessionId(page);
    await waitStatus(page, sid, 'completed');
    const url = `/api/attachments/${sha(keep)}`;
    await waitFor(
      async () => (await drawnImages(page)).includes(url),
      10_000,
      'the image drawn in the thread',
    );
    const saw = await agentSaw(e2e, sid);
    assert.deepEqual(saw, [
      { type: 'text', text: 'what is in this picture?' },
      { type: 'image', mimeType: 'image/png', size: keep.length, sha256: sha(keep) },
    ]);
    const [stored] = await userMessages(e2e, id);
    assert.deepEqual(stored.attachments, [
      { type: 'image', name: 'keep.png', mimeType: 'image/png', size: keep.length, sha256: sha(keep), url },
    ]);
    await page.screenshot({ path: join(SHOTS, 'attach-desktop-thread.png') });

    await page.reload();
    await page.locator('.timeline').waitFor();
    await waitFor(async () => (await drawnImages(page)).includes(url), 10_000, 'the image after a reload');
    assert.equal(await page.locator('article.msg.user .att-image').count(), 1);
    await page.context().close();
  });

  test('queued with an image while the API is unreachable, reloaded: sent once with the same bytes', async () => {
    const { page } = await e2e.newContext();
    const id = await newAttachConversation(e2e);
    await openConversation(page, id);
    let blocked = 0;
    await page.route('**/api/conversations/*/messages', async (route) => {
      if (route.request().method() === 'POST') {
        blocked++;
        await route.abort('connectionreset');
      } else await route.continue();
    });
    const bytes = png();
    await pasteImage(page, bytes);
    await page.locator('.att-draft').waitFor();
    await page.locator('.composer .send').click();
    const queued = page.locator('article.outbox .att-image img');
    await queued.waitFor();
    await waitFor(async () => blocked > 0, 10_000, 'a blocked attempt');
    await page.reload();
    // Still queued after the reload, picture included (from IndexedDB).
    await queued.waitFor();
    assert.equal(
      await page.locator('article.outbox .bubble').count(),
      0,
      'an image alone has no empty bubble',
    );
    await page.unroute('**/api/conversations/*/messages');
    await page.evaluate("dispatchEvent(new Event('online'))");
    await page.locator('article.outbox').waitFor({ state: 'detached', timeout: 30_000 });
    const url = `/api/attachments/${sha(bytes)}`;
    await waitFor(async () => (await drawnImages(page)).includes(url), 10_000, 'the sent image');
    const messages = await userMessages(e2e, id);
    assert.equal(messages.length, 1, 'stored exactly once');
    assert.equal(messages[0].content, '');
    assert.equal(messages[0].attachments[0].sha256, sha(bytes));
    assert.deepEqual(await agentSaw(e2e, messages[0].sessionId ?? (await lastSessionId(page))), [
      { type: 'image', mimeType: 'image/png', size: bytes.length, sha256: sha(bytes) },
    ]);
    await page.context().close();
  });

  test("limits are checked before sending; the server's refusal is said in its words", async () => {
    const { page } = await e2e.newContext();
    const input = page.locator('.composer input[type=file]');
    await openConversation(page, await newAttachConversation(e2e));
    await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await page
      .locator('.att-error', { hasText: 'notes.txt is not a PNG, JPEG, GIF or WebP image' })
      .waitFor();
    const big = Buffer.concat([png(), Buffer.alloc(10 * 1024 * 1024)]);
    await input.setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: big });
    await page
      .locator('.att-error', { hasText: 'huge.png is too large: an image may have at most 10 MB.' })
      .waitFor();
    assert.equal(await page.locator('.att-draft').count(), 0, 'nothing refused is attached');
    assert.ok(await page.locator('.composer .send').isDisabled(), 'nothing to send');
    await page.screenshot({ path: join(SHOTS, 'attach-desktop-limits.png') });

    // Dropped on the composer: the image is taken, the text file refused by name.
    const dropped = await page.evaluateHandle(
      ({ b64 }) => {
        const g = globalThis as unknown as {
          DataTransfer: new () => { items: { add(f: unknown): void } };
          File: new (parts: unknown[], name: string, o: object) => unknown;
        };
        const dt = new g.DataTransfer();
        dt.items.add(new g.File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'dropped.png', {}));
        dt.items.add(new g.File(['hi'], 'readme.txt', { type: 'text/plain' }));
        return dt;
      },
      { b64: png().toString('base64') },
    );
    await page.locator('form.composer').dispatchEvent('dragover', { dataTransfer: dropped });
    await page.locator('form.composer.dragging').waitFor();
    await page.locator('form.composer').dispatchEvent('drop', { dataTransfer: dropped });
    await page.locator('.att-draft[data-attachment-name="dropped.png"] img').waitFor();
    await page
      .locator('.att-error', { hasText: 'readme.txt is not a PNG, JPEG, GIF or WebP image' })
      .waitFor();
    assert.equal(await page.locator('form.composer.dragging').count(), 0);
    await page.getByRole('button', { name: 'Remove dropped.png' }).click();

    // The demo agent takes no images: the server refuses (400 unsupported_attachment), nothing stored.
    const demo = await newAttachConversation(e2e, 'demo');
    await openConversation(page, demo);
    await pasteImage(page, png());
    await page.locator('.att-draft').waitFor();
    await page.locator('.composer .send').click();
    await page.locator('article.outbox.failed', { hasText: /Not sent: .*does not take images/ }).waitFor();
    assert.equal((await userMessages(e2e, demo)).length, 0);
    await page.screenshot({ path: join(SHOTS, 'attach-desktop-refused.png') });
    await page.context().close();
  });

  test('@ names a file of the folder: it is attached, the agent gets its contents, the thread shows a chip', async () => {
    mkdirSync(join(e2e.server.rootDir, 'docs'), { recursive: true });
    const text = 'plan: ship attachments ✓\n';
    writeFileSync(join(e2e.server.rootDir, 'docs', 'plan.md'), text);
    const { page } = await e2e.newContext();
    const id = await newAttachConversation(e2e);
    await openConversation(page, id);
    const box = page.locator('#composer-input');
    await box.pressSequentially('read @do');
    await page.locator('#composer-mentions [data-path="docs"]').waitFor();
    await box.press('Enter'); // a folder: go into it
    await page.locator('#composer-mentions [data-path="docs/plan.md"]').waitFor();
    await page.screenshot({ path: join(SHOTS, 'attach-desktop-mention.png') });
    await box.press('Tab'); // a file: attach it
    await page.locator('.att-draft[data-attachment-name="plan.md"]').waitFor();
    assert.equal(await box.inputValue(), 'read @docs/plan.md ');
    await box.press('Enter');
    const sid = await lastSessionId(page);
    await waitStatus(page, sid, 'completed');
    await page.locator('article.msg.user:not(.outbox) .att-chip', { hasText: 'plan.md' }).waitFor();
    const saw = await agentSaw(e2e, sid);
    assert.equal(saw[1].type, 'resource');
    assert.equal(saw[1].text, text);
    await page.context().close();
  });

  test('a large camera photo is redrawn smaller before it is sent; a PNG is sent byte for byte', async () => {
    const { page } = await e2e.newContext();
    const id = await newAttachConversation(e2e);
    await openConversation(page, id);
    // A 4000×3000 photo of noise, as JPEG at high quality: several MB, as phones take them.
    const photo = Buffer.from(
      await page.evaluate(async () => {
        // The test's tsconfig has no DOM types: the few members used here, typed by hand.
        type Ctx = {
          createImageData(w: number, h: number): { data: Uint8ClampedArray };
          putImageData(img: unknown, x: number, y: number): void;
        };
        type Canvas = {
          width: number;
          height: number;
          getContext(kind: '2d'): Ctx;
          toBlob(done: (b: Blob) => void, type: string, quality: number): void;
        };
        const g = globalThis as unknown as {
          document: { createElement(t: 'canvas'): Canvas };
          FileReader: new () => { onload: () => void; result: unknown; readAsDataURL(b: Blob): void };
        };
        const c = g.document.createElement('canvas');
        c.width = 4000;
        c.height = 3000;
        const ctx = c.getContext('2d');
        const img = ctx.createImageData(4000, 3000);
        for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 2654435761) >>> 24;
        ctx.putImageData(img, 0, 0);
        const blob: Blob = await new Promise((done) => c.toBlob(done, 'image/jpeg', 0.98));
        const url: string = await new Promise((done) => {
          const r = new g.FileReader();
          r.onload = () => done(String(r.result));
          r.readAsDataURL(blob);
        });
        return url.slice(url.indexOf(',') + 1);
      }),
      'base64',
    );
    assert.ok(photo.length > 4 * 1024 * 1024, `the photo is large (${photo.length} bytes)`);
    await page
      .locator('.composer input[type=file]')
      .setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: photo });
    await page.locator('.att-draft img').waitFor();
    await page.locator('.composer .send').click();
    const sid = await lastSessionId(page);
    await waitStatus(page, sid, 'completed');
    const [sent] = (await userMessages(e2e, id)).flatMap((m: Json) => m.attachments ?? []);
    assert.equal(sent.mimeType, 'image/jpeg');
    assert.ok(sent.size < 2 * 1024 * 1024, `sent ${sent.size} bytes`);
    assert.equal((await agentSaw(e2e, sid))[0].sha256, sent.sha256, 'the agent got what is stored');
    await page.locator('.att-draft').waitFor({ state: 'detached' });
  });

  test('on a phone (390×844, touch) the attach button is reachable and offers the camera', async () => {
    const context = await phoneContext(e2e.browser);
    const page = await openWithToken(context, e2e.appUrl, e2e.server.token, e2e.pageErrors);
    await page.locator('.app').waitFor();
    const id = await newAttachConversation(e2e);
    await openConversation(page, id);
    const button = page.getByRole('button', { name: 'Attach images' });
    const box = await button.boundingBox();
    assert.ok(box, 'the attach button is shown');
    assert.ok(box.width >= 44 && box.height >= 44, `attach button ${box.width}×${box.height}`);
    assert.ok(box.x >= 0 && box.x + box.width <= PHONE_TOUCH.width, 'inside the screen horizontally');
    assert.ok(box.y >= 0 && box.y + box.height <= PHONE_TOUCH.height, 'inside the screen vertically');
    const input = page.locator('.composer input[type=file]');
    assert.equal(await input.getAttribute('accept'), 'image/*');
    assert.equal(await input.getAttribute('capture'), null, 'the camera is offered, not forced');

    const bytes = png(120, 90);
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), button.tap()]);
    await chooser.setFiles({ name: 'photo.png', mimeType: 'image/png', buffer: bytes });
    await page.locator('.att-draft img').waitFor();
    await page.screenshot({ path: join(SHOTS, 'attach-phone-preview.png') });
    await page.locator('.composer .send').tap();
    const sid = await lastSessionId(page);
    await waitStatus(page, sid, 'completed');
    const url = `/api/attachments/${sha(bytes)}`;
    await waitFor(async () => (await drawnImages(page)).includes(url), 10_000, 'the photo in the thread');
    assert.equal((await agentSaw(e2e, sid))[0].sha256, sha(bytes));
    await page.screenshot({ path: join(SHOTS, 'attach-phone-thread.png') });
    await context.close();
  });
});
