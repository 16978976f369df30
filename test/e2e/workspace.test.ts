// The workspace panel in a real browser (issue 14): a file opened at its line from a tool card, shown
// live as the agent edits it again; a turn reverted from the Changes view (the files on disk put back);
// a real shell typed into, surviving a reload. On a desktop and on a touch phone, with screenshots.

import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { editorProject } from '../helpers/agents-file.ts';
import { tempDir } from '../helpers/temp.ts';
import {
  browserSuite,
  lastSessionId,
  openConversation,
  openWithToken,
  phoneContext,
  screenshot,
  send,
  useE2E,
  waitFor,
  waitStatus,
} from './harness.ts';

const { rootDir, proj, env } = editorProject('gmgui-e2e-ws-', 'src');

const edits = (list: Array<{ path: string; content: string }>) => JSON.stringify({ edits: list });
const CODE = Array.from({ length: 60 }, (_, i) => `const line${i + 1} = ${i + 1}; // line ${i + 1}`).join(
  '\n',
);

/** Types `command` into the focused terminal, then Enter, and waits for `output` on its screen. */
async function runInTerminal(page: Page, command: string, output: string): Promise<void> {
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
  await page.locator('.xterm-rows', { hasText: output }).waitFor();
}

browserSuite('web UI: files, changes and terminal', () => {
  const e2e = useE2E({
    rootDir,
    // The shell's HOME of its own: the machine's ~/.bashrc is not under test and can take seconds.
    env: { ...env, HOME: tempDir('gmgui-e2e-ws-home-') },
    prepare: async () => {
      await writeFile(join(proj, 'src', 'app.ts'), `${CODE}\n`);
      await writeFile(join(proj, 'notes.md'), '# notes\n');
    },
  });

  async function conversation(): Promise<string> {
    const r = await e2e.server.api('POST', '/api/conversations', {
      agentId: 'editor',
      title: 'workspace',
      cwd: proj,
    });
    assert.equal(r.status, 201, r.text);
    return r.body.conversation.id;
  }

  /** Sends the edits as a message and waits for the turn to complete. */
  async function editTurn(
    page: Page,
    list: Array<{ path: string; content: string }>,
    touch = false,
  ): Promise<string> {
    const before = await page.locator('article.turn[data-session-id]').count();
    if (touch) {
      // On a touch screen Enter is a new line: the Send button sends.
      await page.locator('#composer-input').fill(edits(list));
      await page.locator('.composer button', { hasText: 'Send' }).tap();
    } else await send(page, edits(list));
    await waitFor(
      async () => (await page.locator('article.turn[data-session-id]').count()) > before,
      15_000,
      'a new turn',
    );
    const sid = await lastSessionId(page);
    await waitStatus(page, sid, 'completed');
    return sid;
  }

  test('desktop: open a file at its line from a tool card; it follows the agent; revert the turn', async () => {
    const id = await conversation();
    const { context, page } = await e2e.newContext();
    await openConversation(page, id);
    const changed = `${CODE.replace('const line42 = 42;', 'const line42 = 4242;')}\n`;
    await editTurn(page, [{ path: 'src/app.ts', content: changed }]);
    const viewer = page.locator('.ws-viewer');
    // A path the agent names in its answer opens the file too.
    await page.locator('.md code.file-ref', { hasText: 'src/app.ts' }).first().click();
    await viewer.locator('.ws-code', { hasText: 'const line42 = 4242;' }).waitFor();
    assert.equal(await viewer.locator('.ws-viewer-path').textContent(), 'src/app.ts');
    // The tool card lists the file with its line; the link opens it in the panel, at that line.
    const link = page.locator('.tool-path', { hasText: 'src/app.ts:1' }).first();
    await link.click();
    await viewer.locator('.ws-code', { hasText: 'const line42 = 4242;' }).waitFor();
    assert.equal(await viewer.locator('.ws-viewer-path').textContent(), 'src/app.ts');
    assert.equal(await viewer.locator('.ws-line-mark').getAttribute('data-line'), '1');
    assert.match(
      await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash),
      /\/file\/.*#L1$/,
    );
    // Highlighted: keywords are marked.
    assert.ok((await viewer.locator('.ws-code .tok-kw').count()) > 10);
    // A click on a line number marks that line and puts it in the address.
    const gutter = viewer.locator('.ws-gutter');
    await gutter.click({ position: { x: 10, y: 41 * 18 + 5 } });
    assert.equal(await viewer.locator('.ws-line-mark').getAttribute('data-line'), '42');
    assert.match(
      await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash),
      /#L42$/,
    );
    await screenshot(page, 'desktop-workspace-file');

    // The agent edits the open file again: the viewer shows the new content by itself.
    const second = await editTurn(page, [
      { path: 'src/app.ts', content: `${changed}// appended by the second turn\n` },
      { path: 'created.txt', content: 'a new file\n' },
    ]);
    await viewer.locator('.ws-code', { hasText: 'appended by the second turn' }).waitFor({ timeout: 10_000 });

    // The Changes view lists both turns; the newest is reverted in one step.
    await page.locator('.ws-tabs button', { hasText: 'Changes' }).click();
    const cp = page.locator(`.ws-checkpoint[data-session-id="${second}"]`);
    await cp.waitFor();
    assert.equal(await page.locator('.ws-checkpoint').count(), 2);
    await cp.locator('button', { hasText: 'Show diff' }).click();
    await cp.locator('.diff', { hasText: 'appended by the second turn' }).first().waitFor();
    await screenshot(page, 'desktop-workspace-changes');
    await cp.locator('button', { hasText: 'Revert this turn' }).click();
    await page.locator('dialog[open] button', { hasText: /^Revert$/ }).click();
    await cp.locator('.ws-note.ok', { hasText: 'Reverted' }).waitFor();
    assert.equal(await readFile(join(proj, 'src', 'app.ts'), 'utf8'), changed);
    await assert.rejects(readFile(join(proj, 'created.txt')), /ENOENT/);
    await cp.locator('.badge', { hasText: 'reverted' }).waitFor();
    await context.close();
  });

  test('desktop: type in a terminal; a reload reattaches with the scrollback', async () => {
    const id = await conversation();
    const { context, page } = await e2e.newContext();
    await openConversation(page, id);
    await page.locator('.ws-toggle').click();
    await page.locator('.ws-tabs button', { hasText: 'Terminal' }).click();
    await page.locator('button', { hasText: 'New terminal' }).click();
    const screen = page.locator('.ws-term-screen .xterm');
    await screen.waitFor();
    await page.locator('.ws-term-state', { hasText: 'open' }).waitFor();
    await screen.click();
    await runInTerminal(page, 'echo "total=$((19+23))"', 'total=42');
    await screenshot(page, 'desktop-workspace-terminal');
    // The page comes back to the same view (the panel on its terminal) and reattaches.
    await page.reload();
    await page.locator('.xterm-rows', { hasText: 'total=42' }).waitFor();
    await page.locator('.ws-term-state', { hasText: 'open' }).waitFor();
    await page.locator('.ws-term-screen .xterm').click();
    await runInTerminal(page, 'echo "again=$((6*7))"', 'again=42');
    const listed = await e2e.server.api('GET', `/api/conversations/${id}/terminals`);
    assert.equal(listed.body.terminals.length, 1, 'the reload reattached instead of opening another shell');
    await context.close();
  });

  test('phone (touch): the panel covers the chat; files and terminal work', async () => {
    const id = await conversation();
    const context = await phoneContext(e2e.browser, { colorScheme: 'light' });
    const page = await openWithToken(context, e2e.appUrl, e2e.server.token, e2e.pageErrors);
    await openConversation(page, id);
    await editTurn(page, [{ path: 'notes.md', content: '# notes\n\n- from the phone\n' }], true);
    await page.locator('.tool-path', { hasText: 'notes.md' }).first().tap();
    await page.locator('.ws-code', { hasText: 'from the phone' }).waitFor();
    await screenshot(page, 'phone-workspace-file');
    // Back to the list: the tree replaces the file on a narrow screen.
    await page.locator('.ws-back').tap();
    await page.locator('.ws-tree-row', { hasText: 'src' }).tap();
    await page.locator('.ws-tree-row', { hasText: 'app.ts' }).waitFor();
    await screenshot(page, 'phone-workspace-tree');
    await page.locator('.ws-tabs button', { hasText: 'Terminal' }).tap();
    await page.locator('button', { hasText: 'New terminal' }).tap();
    await page.locator('.ws-term-state', { hasText: 'open' }).waitFor();
    await page.locator('.ws-term-screen .xterm').tap();
    await runInTerminal(page, 'echo "phone=$((40+2))"', 'phone=42');
    await screenshot(page, 'phone-workspace-terminal');
    await context.close();
  });
});
