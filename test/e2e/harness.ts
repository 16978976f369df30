// Shared set-up for the browser tests: Debian's Chromium driven by playwright-core, against a real
// gmgui server process (test/helpers/server.ts: the bundle and web app `npm start` serves) with the
// demo agent. In a suite: `const e2e = useE2E()`.
//
// No Chromium (e.g. a laptop without it): the tests skip LOUDLY, unless GMGUI_REQUIRE_ALL=1 (CI),
// where a missing browser is a failure.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from 'playwright-core';
import {
  buildLikeNpmStart,
  ROOT,
  restartServer,
  type StartOptions,
  startServer,
  type TestServer,
} from '../helpers/server.ts';
import { useResource } from '../helpers/use.ts';

export const CHROMIUM = process.env.GMGUI_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test-artifacts');

export const DESKTOP = { width: 1280, height: 800 };
/** A phone's screen: with touch it is what the phone tests call pointer: coarse (issue 13). */
export const PHONE_TOUCH = { width: 390, height: 844 };

/** A phone-sized Chromium context with touch; `options` adds to (or overrides) that. */
export function phoneContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport: PHONE_TOUCH, hasTouch: true, isMobile: true, ...options });
}

/** A new page of `context` on the app's token link; `errors`, when given, collects its page errors. */
export async function openWithToken(
  context: BrowserContext,
  appUrl: string,
  token: string,
  errors?: string[],
): Promise<Page> {
  const page = await context.newPage();
  if (errors) watchErrors(page, errors);
  await page.goto(`${appUrl}?token=${encodeURIComponent(token)}`);
  return page;
}
export const PHONE = { width: 375, height: 812 };

/**
 * A describe() that runs only where Chromium exists. Without it the suite is skipped with a loud
 * warning, or fails under GMGUI_REQUIRE_ALL=1 (CI must not pass by skipping).
 */
export function browserSuite(name: string, body: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(name, body);
    return;
  }
  const why = `Chromium not found at ${CHROMIUM}: browser tests "${name}" NOT RUN (install chromium or set GMGUI_CHROMIUM)`;
  if (process.env.GMGUI_REQUIRE_ALL === '1') {
    test(name, () => {
      throw new Error(`${why}; GMGUI_REQUIRE_ALL=1 makes this a failure`);
    });
    return;
  }
  console.warn(`\n⚠️  ${why}\n`);
  test(name, (t: TestContext) => {
    t.skip(why);
  });
}

/** Builds web/dist (and the server bundle) when missing or stale, as `npm start` does (bench/web.ts). */
export const buildWeb = buildLikeNpmStart;

export interface E2E {
  /** Replaced by restart(). */
  server: TestServer;
  browser: Browser;
  /** Uncaught page exceptions and Content-Security-Policy violations seen so far (should stay empty). */
  pageErrors: string[];
  /** Where to open the app (server base URL with a trailing slash). */
  appUrl: string;
  /** A logged-in context (the token URL was opened once, then the token left the address bar). */
  newContext(viewport?: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page }>;
  /** A logged-in desktop page showing a new demo conversation titled `title`. */
  openNew(title: string): Promise<{ context: BrowserContext; page: Page; id: string }>;
  /** Stops the server (SIGTERM); start() brings it back on the same port, data and token. */
  stopServer(): Promise<void>;
  /** kill -9: no goodbye, whatever was running is cut off. */
  killServer(): Promise<void>;
  startServerAgain(): Promise<void>;
  close(): Promise<void>;
}

/** Playwright's launch() runs Chromium on a fresh temporary profile of its own, removed on close. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export async function setup(opts: StartOptions = {}): Promise<E2E> {
  await mkdir(ARTIFACTS, { recursive: true });
  const serverOpts = { ...opts, env: { GMGUI_DEMO_STEP_MS: '40', ...opts.env } };
  const server = await startServer(serverOpts);
  let browser: Browser;
  try {
    browser = await launchBrowser();
  } catch (e) {
    await server.stop();
    await server.cleanup();
    throw e;
  }
  const appUrl = `${server.base}/`;
  const contexts: BrowserContext[] = [];
  const e2e: E2E = {
    server,
    browser,
    appUrl,
    pageErrors: [],
    async stopServer() {
      await e2e.server.stop();
    },
    async killServer() {
      await e2e.server.kill9();
    },
    async startServerAgain() {
      e2e.server = await restartServer(e2e.server, { ...serverOpts, port: e2e.server.port });
    },
    async newContext(viewport = DESKTOP) {
      const context = await browser.newContext({ viewport, colorScheme: 'light' });
      contexts.push(context);
      const page = await openWithToken(context, appUrl, e2e.server.token, e2e.pageErrors);
      await page.locator('.sidebar').waitFor();
      return { context, page };
    },
    async openNew(title) {
      const { context, page } = await e2e.newContext();
      const id = await createConversation(e2e.server, title);
      await openConversation(page, id);
      return { context, page, id };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await e2e.server.stop().catch(() => undefined);
      // The first server made the temp folders; restarted ones reuse them.
      await server.cleanup().catch(() => undefined);
    },
  };
  return e2e;
}

/**
 * The browser and server for the tests of the current suite: set up before them; after them closed,
 * and no page may have thrown or broken the Content-Security-Policy meanwhile.
 */
export function useE2E(opts: StartOptions = {}): E2E {
  return useResource(
    'the browser test set-up',
    () => setup(opts),
    async (e2e) => {
      const errors = [...e2e.pageErrors];
      await e2e.close();
      assert.deepEqual(errors, [], 'the pages threw or violated the CSP');
    },
  );
}

/** Collects what must never happen in the app: uncaught exceptions and CSP violations. */
export function watchErrors(page: Page, into: string[]): void {
  page.on('pageerror', (err) => {
    console.error(`[page error] ${err.message}`);
    into.push(err.message);
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) into.push(m.text());
  });
}

/** Creates a demo conversation over the API (fast path for tests that are not about the dialog). */
export async function createConversation(server: TestServer, title: string): Promise<string> {
  const r = await server.api('POST', '/api/conversations', { agentId: 'demo', title });
  if (r.status !== 201) throw new Error(`create conversation: ${r.status} ${r.text}`);
  return r.body.conversation.id as string;
}

export async function openConversation(page: Page, id: string): Promise<void> {
  await page.evaluate((hash) => {
    (globalThis as unknown as { location: { hash: string } }).location.hash = hash;
  }, `#/c/${id}`);
  await page.locator('.composer textarea:not([disabled])').waitFor();
  await page.locator('.timeline').waitFor();
}

/** Types a message in the composer and sends it with Enter. */
export async function send(page: Page, text: string): Promise<void> {
  const box = page.locator('#composer-input');
  await box.fill(text);
  await box.press('Enter');
}

/** The last turn's session id, once it exists. */
export async function lastSessionId(page: Page): Promise<string> {
  const turn = page.locator('article.turn[data-session-id]').last();
  await turn.waitFor();
  return (await turn.getAttribute('data-session-id')) as string;
}

export function turn(page: Page, sessionId: string) {
  return page.locator(`article.turn[data-session-id="${sessionId}"]`);
}

export async function waitStatus(
  page: Page,
  sessionId: string,
  status: string,
  timeout = 30_000,
): Promise<void> {
  await page
    .locator(`article.turn[data-session-id="${sessionId}"][data-status="${status}"]`)
    .waitFor({ timeout });
}

/** Whitespace-insensitive text, for comparing rendered Markdown with the stored raw text. */
export function norm(s: string): string {
  return s
    .replace(/^#+\s*/gm, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  // Let layout transitions (the phone drawer) settle after a resize.
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

export async function waitFor(
  cond: () => Promise<boolean>,
  timeout = 20_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
