// The installable app and its service worker (docs/CONTRACT.md "Push and the installable app"), in a phone-sized touch
// Chromium: the worker takes control, a reload while offline shows the app with a cached conversation
// and the unsent message still queued (delivered once when the network returns); a push delivered to
// the worker while the app is on screen becomes an in-page notice; the manifest and icons make the app
// installable (checked field by field, and by Chromium's own installability check).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { tempDir } from '../helpers/temp.ts';
import { startRewritingProxy } from '../push/rewriting-proxy.ts';
import {
  browserSuite,
  CHROMIUM,
  createConversation,
  DESKTOP,
  type E2E,
  openConversation,
  openWithToken,
  phoneContext,
  screenshot,
  setup,
  waitFor,
} from './harness.ts';

/** The app, logged in, in a light phone-sized touch context. */
async function phoneApp(e2e: E2E): Promise<{ context: BrowserContext; page: Page }> {
  const context = await phoneContext(e2e.browser, { colorScheme: 'light' });
  const page = await openWithToken(context, e2e.appUrl, e2e.server.token, e2e.pageErrors);
  await page.locator('.app').waitFor();
  return { context, page };
}

// In the page (the test's own TypeScript has no DOM types): the worker's notifications on show.
const NOTIFICATIONS = `navigator.serviceWorker.ready
  .then((r) => r.getNotifications())
  .then((ns) => ns.map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: n.data.url })))`;

/** Waits until the service worker is active and controls the page. */
async function controlled(page: Page): Promise<void> {
  // A function, not a string: the page's CSP forbids eval. Typed by hand (no DOM types here).
  type Nav = { navigator: { serviceWorker: { controller: { state: string } | null } } };
  await page.waitForFunction(
    () => (globalThis as unknown as Nav).navigator.serviceWorker.controller?.state === 'activated',
    undefined,
    { timeout: 20_000 },
  );
}

async function storedUserMessages(e2e: E2E, id: string, content: string): Promise<number> {
  const r = await e2e.server.api('GET', `/api/conversations/${id}/messages`);
  return (r.body.messages as Array<{ role: string; content: unknown }>).filter(
    (m) => m.role === 'user' && m.content === content,
  ).length;
}

function pngSize(buf: Buffer): { width: number; height: number } {
  assert.deepEqual(
    [...buf.subarray(0, 8)],
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    'a PNG signature',
  );
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

browserSuite('installable app, offline shell and pushes on screen (phone)', () => {
  let e2e: E2E;
  before(async () => {
    e2e = await setup();
  });
  after(async () => {
    const errors = e2e?.pageErrors ?? [];
    await e2e?.close();
    assert.deepEqual(errors, [], 'the pages threw or violated the CSP');
  });

  test('the worker takes control; a reload offline shows the app, a cached conversation and the queued outbox', async () => {
    const id = await createConversation(e2e.server, 'read on the train');
    const sent = await e2e.server.api('POST', `/api/conversations/${id}/messages`, {
      content: 'cache me /quick',
    });
    assert.equal(sent.status, 201);
    await waitFor(async () => {
      const r = await e2e.server.api('GET', `/api/sessions/${sent.body.session.id}`);
      return r.body.session.status === 'completed';
    });
    const { context, page } = await phoneApp(e2e);
    await controlled(page);
    // Opened while the worker controls the page: the reads it makes are kept.
    await openConversation(page, id);
    await page.locator('article.msg.user', { hasText: 'cache me' }).waitFor();
    await page.locator('.answer', { hasText: 'Quick answer' }).first().waitFor();

    await context.setOffline(true);
    const unsent = 'written offline, sent later /quick';
    const box = page.locator('#composer-input');
    await box.fill(unsent);
    await page.getByRole('button', { name: /send/i }).first().click();
    await page.locator('article.outbox', { hasText: unsent }).waitFor();

    // Made while this browser is offline: a list that came from the network would show it.
    await createConversation(e2e.server, 'made while the phone was offline');
    const nav = await page.reload();
    assert.ok(nav?.fromServiceWorker(), 'the page came from the service worker');
    await page.locator('.app').waitFor();
    await page.locator('article.msg.user', { hasText: 'cache me' }).waitFor({ timeout: 20_000 });
    await page.locator('.answer', { hasText: 'Quick answer' }).first().waitFor();
    await page.locator('article.outbox', { hasText: unsent }).waitFor();
    await screenshot(page, 'phone-offline-reload');
    const titles = await page.locator('.conv-title').allTextContents();
    assert.ok(titles.includes('read on the train'), `the cached list: ${titles}`);
    assert.ok(!titles.includes('made while the phone was offline'), 'the list came from the cache');

    await context.setOffline(false);
    await page.evaluate("dispatchEvent(new Event('online'))");
    await page.locator('article.msg.user:not(.outbox)', { hasText: unsent }).waitFor({ timeout: 30_000 });
    assert.equal(await storedUserMessages(e2e, id, unsent), 1);
    await context.close();
  });

  test('a push: an in-page notice while the app is on screen, else one system notification per conversation', async () => {
    const { context, page } = await phoneApp(e2e);
    await controlled(page);
    const cdp = await context.newCDPSession(page);
    const registrations: Array<{ registrationId: string; scopeURL: string }> = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => registrations.push(...e.registrations));
    await cdp.send('ServiceWorker.enable');
    await waitFor(
      async () => registrations.some((r) => r.scopeURL === e2e.appUrl),
      10_000,
      'the registration',
    );
    const reg = registrations.find((r) => r.scopeURL === e2e.appUrl) as { registrationId: string };
    const payload = {
      kind: 'permission_requested',
      conversationId: 'conv_elsewhere',
      title: 'Refactor the parser',
      body: 'Needs your permission: Edit NOTES.md',
      url: '/#/c/conv_elsewhere',
    };
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: new URL(e2e.appUrl).origin,
      registrationId: reg.registrationId,
      data: JSON.stringify(payload),
    });
    await page
      .locator('.notice', { hasText: 'Refactor the parser: Needs your permission: Edit NOTES.md' })
      .waitFor();
    const shown = await page.evaluate<unknown[]>(NOTIFICATIONS);
    assert.equal(shown.length, 0, 'no system notification while the app is on screen');

    // No window of the app open: the worker shows a system notification instead, one per conversation.
    await context.grantPermissions(['notifications'], { origin: new URL(e2e.appUrl).origin });
    const blank = await context.newPage();
    const blankCdp = await context.newCDPSession(blank);
    await blankCdp.send('ServiceWorker.enable');
    await page.close();
    for (const title of ['first', 'second'])
      await blankCdp.send('ServiceWorker.deliverPushMessage', {
        origin: new URL(e2e.appUrl).origin,
        registrationId: reg.registrationId,
        data: JSON.stringify({ ...payload, title }),
      });
    await blank.goto(e2e.appUrl);
    const notes = await blank.evaluate<unknown[]>(NOTIFICATIONS);
    assert.deepEqual(notes, [
      {
        title: 'second',
        body: payload.body,
        tag: 'conv_elsewhere',
        url: new URL('#/c/conv_elsewhere', e2e.appUrl).href,
      },
    ]);
    await context.close();
  });

  test('a new build takes over: its worker replaces the old shell cache and the page reloads once', async () => {
    // The app through a proxy that can make the server look upgraded without touching web/dist.
    const proxy = await startRewritingProxy(e2e.server.url);
    const appUrl = `${proxy.url}/`;
    const context = await phoneContext(e2e.browser);
    try {
      const page = await openWithToken(context, appUrl, e2e.server.token, e2e.pageErrors);
      await page.locator('.app').waitFor();
      await controlled(page);
      const shellCaches = () =>
        page.evaluate<string[]>("caches.keys().then((ks) => ks.filter((k) => k.startsWith('gmgui-shell:')))");
      const [old] = await shellCaches();
      const oldVersion = old.slice(old.lastIndexOf(':') + 1);
      const newVersion = 'feedbeef0001';
      // Deployed: the same worker, another build's version.
      proxy.rewrite.set('/sw.js', (body) => body.replaceAll(oldVersion, newVersion));
      await page.evaluate('window.__before_update = true');
      const reloaded = page.waitForEvent('load', { timeout: 20_000 });
      await page.evaluate('navigator.serviceWorker.getRegistration().then((r) => r.update())');
      await reloaded;
      await page.locator('.app').waitFor();
      assert.equal(await page.evaluate('window.__before_update'), undefined, 'the page reloaded');
      await waitFor(
        async () => (await shellCaches()).join() === `gmgui-shell:/:${newVersion}`,
        10_000,
        'the new shell cache alone',
      );
      // Once: the new worker stays in charge and the page is not reloaded again.
      await page.evaluate('window.__after_update = true');
      await page.waitForTimeout(1_000);
      assert.equal(await page.evaluate('window.__after_update'), true);
    } finally {
      await context.close();
      await proxy.close();
    }
  });

  test('installable: manifest, icons, apple-touch-icon, and Chromium finds no installability error', async () => {
    const page = await fetch(e2e.appUrl);
    const html = await page.text();
    assert.match(html, /<link rel="manifest" href="\.\/manifest\.webmanifest"/);
    assert.match(html, /<link rel="apple-touch-icon" href="\.\/icons\/apple-touch-icon\.png"/);
    assert.match(html, /<meta name="theme-color"/);

    const res = await fetch(new URL('manifest.webmanifest', e2e.appUrl));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/manifest\+json/);
    const manifest = (await res.json()) as {
      name: string;
      start_url: string;
      display: string;
      icons: Array<{ src: string; sizes: string; type: string; purpose?: string }>;
    };
    assert.equal(manifest.name, 'gmgui');
    assert.equal(new URL(manifest.start_url, e2e.appUrl).href, e2e.appUrl);
    assert.equal(manifest.display, 'standalone');
    const icons = [
      ...manifest.icons.map((i) => ({
        src: i.src,
        size: Number(i.sizes.split('x')[0]),
        type: i.type,
        purpose: i.purpose,
      })),
      { src: 'icons/apple-touch-icon.png', size: 180, type: 'image/png', purpose: 'apple' },
    ];
    for (const want of [192, 512])
      assert.ok(
        icons.some((i) => i.size === want && i.purpose === 'any'),
        `a ${want} icon`,
      );
    assert.ok(
      icons.some((i) => i.purpose === 'maskable'),
      'a maskable icon',
    );
    for (const icon of icons) {
      const r = await fetch(new URL(icon.src, e2e.appUrl));
      assert.equal(r.status, 200, icon.src);
      assert.equal(icon.type, 'image/png');
      assert.equal(r.headers.get('content-type'), 'image/png', icon.src);
      assert.deepEqual(
        pngSize(Buffer.from(await r.arrayBuffer())),
        { width: icon.size, height: icon.size },
        icon.src,
      );
    }
    const sw = await fetch(new URL('sw.js', e2e.appUrl));
    assert.equal(sw.status, 200);
    assert.match(sw.headers.get('content-type') ?? '', /javascript/);
    assert.equal(sw.headers.get('cache-control'), 'no-cache', 'a new build is found at once');

    // Chromium's own verdict (what its install prompt and Lighthouse rely on), in a profile of its
    // own: Playwright's ordinary contexts are incognito, where nothing can be installed.
    const context = await chromium.launchPersistentContext(tempDir('gmgui-pwa-profile-'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: DESKTOP,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    const p = context.pages()[0] ?? (await context.newPage());
    await p.goto(`${e2e.appUrl}?token=${encodeURIComponent(e2e.server.token)}`);
    await controlled(p);
    const cdp = await context.newCDPSession(p);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, []);
    const { url, errors } = await cdp.send('Page.getAppManifest');
    assert.equal(url, new URL('manifest.webmanifest', e2e.appUrl).href);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the notification setting, at phone and desktop sizes', async () => {
    const { context, page } = await phoneApp(e2e);
    await page.getByRole('button', { name: 'Show conversations' }).click();
    const select = page.getByLabel('Notify me');
    await select.waitFor();
    // Nothing chosen yet on this device.
    await waitFor(
      async () => (await select.isEnabled()) && (await select.inputValue()) === 'off',
      10_000,
      'the setting',
    );
    const box = await select.boundingBox();
    assert.ok(box && box.height >= 44, `a finger-sized control (${box?.height}px)`);
    await screenshot(page, 'phone-notification-setting');
    // Allowed, but this machine has no way to a browser push service: the failure is said in words.
    await context.grantPermissions(['notifications'], { origin: new URL(e2e.appUrl).origin });
    await select.selectOption('needed');
    await page
      .getByRole('alert')
      .filter({ hasText: 'Could not change notifications' })
      .waitFor({ timeout: 60_000 });
    assert.equal(await select.inputValue(), 'off');
    await screenshot(page, 'phone-notification-setting-failed');
    await context.close();

    const desktop = await e2e.newContext(DESKTOP);
    await desktop.page.getByLabel('Notify me').waitFor();
    await screenshot(desktop.page, 'desktop-notification-setting');
    await desktop.context.close();
  });
});
