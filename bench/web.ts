import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createConversation } from '../src/commands/conversations.ts';
import { sendMessage } from '../src/commands/messages.ts';
import { SQLITE_FILE } from '../src/store/open.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { CHROMIUM, buildWeb, launchBrowser } from '../test/e2e/harness.ts';
import { ROOT, startServer } from '../test/helpers/server.ts';
import { recordAnswer } from './lib/seed-history.ts';

// Web bench (issue 5):
// 1. Time to first render of a 5,000-message conversation in headless Chromium, against a real
//    server on a seeded SQLite store: from navigation start to the first frame painted after the
//    newest messages are in the DOM. The baseline, measured in the same run, is the same page with
//    an empty conversation, so the ratio says what the 5,000 messages cost. Also the longest main-
//    thread task during the load ("does not freeze").
// 2. The gzipped size of the built JS (target ≤ 150 KB) and CSS.

const MESSAGES = 5_000;
const RUNS = 5;
const TURNS_PER_TX = 100;

export interface WebBenchResult {
  jsGzipBytes: number;
  cssGzipBytes: number;
  /** Median first screen of the 5,000-message conversation, ms from navigation start. */
  firstRender5000Ms: number | null;
  /** Same page, empty conversation. */
  firstRenderEmptyMs: number | null;
  ratio: number | null;
  /** Longest main-thread task while the 5,000-message conversation opened. */
  longestTask5000Ms: number | null;
  skipped?: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function gzipSizes(): Promise<{ js: number; css: number }> {
  const dir = join(ROOT, 'web', 'dist', 'assets');
  let js = 0;
  let css = 0;
  for (const name of await readdir(dir)) {
    const size = gzipSync(await readFile(join(dir, name)), { level: 9 }).length;
    if (name.endsWith('.js')) js += size;
    else if (name.endsWith('.css')) css += size;
  }
  return { js, css };
}

/** An answer of realistic length and shape: paragraphs, a list and a code block. */
function answerText(i: number): string {
  return [
    `Answer ${i}: here is what I found in the project.`,
    '',
    `- The module \`src/part${i % 17}.ts\` exports ${i % 5} functions.`,
    '- Tests cover the main paths; one edge case is missing.',
    '',
    '```ts',
    `export function part${i}(x: number): number {`,
    `  return x * ${i % 9} + 1; // keep it simple`,
    '}',
    '```',
    '',
    'Tell me if I should apply the change.',
  ].join('\n');
}

/** Seeds a data dir: one conversation with MESSAGES messages (user + assistant turns, finished), one empty. */
export async function seed(dataDir: string, cwd: string): Promise<{ big: string; empty: string }> {
  const store = openSqliteStore({ file: join(dataDir, SQLITE_FILE) });
  try {
    const big = await store.transaction((tx) =>
      createConversation(tx, { agentId: 'demo', title: '5,000 messages', cwd }),
    );
    const turns = MESSAGES / 2;
    for (let start = 0; start < turns; start += TURNS_PER_TX) {
      await store.transaction(async (tx) => {
        for (let i = start; i < Math.min(turns, start + TURNS_PER_TX); i++) {
          const { session } = await sendMessage(tx, big.id, {
            content: `Question ${i}: how does part ${i} work?`,
          });
          const text = answerText(i);
          // A few deltas per turn, as an agent would have streamed them.
          const parts = text.match(/[\s\S]{1,80}/g) ?? [text];
          for (const t of parts)
            await tx.append({ type: 'text_delta', conversationId: big.id, sessionId: session.id, text: t });
          await recordAnswer(tx, session, text);
        }
      });
    }
    const empty = await store.transaction((tx) =>
      createConversation(tx, { agentId: 'demo', title: 'empty', cwd }),
    );
    return { big: big.id, empty: empty.id };
  } finally {
    await store.close();
  }
}

export async function runWebBench(): Promise<WebBenchResult> {
  buildWeb();
  const sizes = await gzipSizes();
  const result: WebBenchResult = {
    jsGzipBytes: sizes.js,
    cssGzipBytes: sizes.css,
    firstRender5000Ms: null,
    firstRenderEmptyMs: null,
    ratio: null,
    longestTask5000Ms: null,
  };
  if (!existsSync(CHROMIUM)) {
    result.skipped = `Chromium not found at ${CHROMIUM}: first-render bench NOT RUN`;
    console.warn(`⚠️  ${result.skipped}`);
    return result;
  }

  // Seed before the server starts on the data dir (the helper makes the temp folders).
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dataDir = await mkdtemp(join(tmpdir(), 'gmgui-bench-data-'));
  const rootDir = await mkdtemp(join(tmpdir(), 'gmgui-bench-root-'));
  const ids = await seed(dataDir, rootDir);
  const server = await startServer({ dataDir, rootDir, env: { LOG_LEVEL: 'warn' } });
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // Marks the first frame painted after conversation rows exist, and the longest task meanwhile.
    await context.addInitScript(() => {
      const w = globalThis as unknown as {
        __firstRows?: number;
        __painted?: number;
        __longest?: number;
        document: { querySelector(s: string): unknown };
        requestAnimationFrame(cb: () => void): void;
        MutationObserver: new (
          cb: () => void,
        ) => { observe(n: unknown, o: object): void; disconnect(): void };
        PerformanceObserver: new (
          cb: (l: { getEntries(): Array<{ duration: number }> }) => void,
        ) => {
          observe(o: object): void;
        };
      };
      w.__longest = 0;
      try {
        new w.PerformanceObserver((list) => {
          for (const e of list.getEntries()) w.__longest = Math.max(w.__longest ?? 0, e.duration);
        }).observe({ type: 'longtask', buffered: true });
      } catch {
        // No long-task API: the number stays 0.
      }
      const obs = new w.MutationObserver(() => {
        if (w.__firstRows === undefined && w.document.querySelector('.rows .row article')) {
          w.__firstRows = performance.now();
          obs.disconnect();
          w.requestAnimationFrame(() => setTimeout(() => (w.__painted = performance.now()), 0));
        }
      });
      obs.observe(w.document, { subtree: true, childList: true });
    });
    const page = await context.newPage();
    await page.goto(`${server.base}/?token=${server.token}`);
    await page.locator('.sidebar').waitFor();

    const measure = async (id: string, expectRows: boolean): Promise<{ ms: number; longest: number }> => {
      // A fresh document each time (a hash change alone would not reload the app).
      await page.goto('about:blank');
      await page.goto(`${server.base}/#/c/${id}`);
      if (expectRows) {
        await page.waitForFunction(
          () => (globalThis as { __painted?: number }).__painted !== undefined,
          null,
          {
            timeout: 60_000,
          },
        );
        const r = await page.evaluate(() => {
          const g = globalThis as { __painted?: number; __longest?: number };
          return { ms: g.__painted ?? Number.NaN, longest: g.__longest ?? 0 };
        });
        // The newest message must be what is on screen.
        await page
          .locator('.rows .row')
          .last()
          .locator('text=Tell me if I should apply the change.')
          .waitFor();
        return r;
      }
      await page.locator('.composer textarea:not([disabled])').waitFor();
      // (A string: this code runs in the page, whose DOM types the Node tsconfig does not have.)
      await page.evaluate('new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)))');
      return { ms: await page.evaluate(() => performance.now()), longest: 0 };
    };

    const big: number[] = [];
    const empty: number[] = [];
    let longest = 0;
    for (let i = 0; i < RUNS; i++) {
      const b = await measure(ids.big, true);
      big.push(b.ms);
      longest = Math.max(longest, b.longest);
      empty.push((await measure(ids.empty, false)).ms);
    }
    result.firstRender5000Ms = median(big);
    result.firstRenderEmptyMs = median(empty);
    result.ratio = result.firstRender5000Ms / result.firstRenderEmptyMs;
    result.longestTask5000Ms = longest;
    await context.close();
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop().catch(() => undefined);
    await server.cleanup().catch(() => undefined);
  }
  return result;
}

export function printWebBench(r: WebBenchResult): void {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log('web bench');
  console.log(`  JS gzipped: ${kb(r.jsGzipBytes)} (target ≤ 150 KB)  CSS gzipped: ${kb(r.cssGzipBytes)}`);
  if (r.firstRender5000Ms === null) {
    console.log(`  first render: not measured (${r.skipped ?? 'no browser'})`);
    return;
  }
  console.log(
    `  first render, ${MESSAGES.toLocaleString('en')}-message conversation (median of ${RUNS}): ${r.firstRender5000Ms.toFixed(0)} ms (target < 500 ms)`,
  );
  console.log(`  first render, empty conversation (baseline): ${r.firstRenderEmptyMs?.toFixed(0)} ms`);
  console.log(`  ${MESSAGES.toLocaleString('en')} messages / empty: ${r.ratio?.toFixed(2)}×`);
  console.log(`  longest main-thread task while opening it: ${r.longestTask5000Ms?.toFixed(0)} ms`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printWebBench(await runWebBench());
}
