import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { serviceWorker } from './sw-build.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

// The app is served under an arbitrary BASE_URL prefix (e.g. /gm), so every asset URL is
// relative ("./assets/…") and the client computes API paths from location.
export default defineConfig({
  root: here,
  base: './',
  // The service worker (push, offline shell) is built on its own as dist/sw.js: web/sw-build.ts.
  plugins: [serviceWorker({ entry: `${here}src/sw/sw.ts`, publicDir: `${here}public` })],
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // One small bundle loads faster than a waterfall of chunks for an app this size.
    assetsInlineLimit: 0,
    // One chunk, so the page has no <link rel="modulepreload"> to polyfill.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    // `npx vite web` during development: proxy the API and WebSockets to a running server.
    proxy: {
      '/api': 'http://127.0.0.1:3000',
      '/sync': { target: 'ws://127.0.0.1:3000', ws: true },
      '/stream': { target: 'ws://127.0.0.1:3000', ws: true },
    },
  },
});
