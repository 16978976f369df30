import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

// Unit tests of the web client's pure logic (reducers, outbox, markdown, diff). They run in
// Node: the modules under test avoid touching the DOM.
export default defineConfig({
  root: repoRoot,
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  test: {
    environment: 'node',
    include: ['test/web/**/*.test.ts'],
  },
});
