import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

// The app is served under an arbitrary BASE_URL prefix (e.g. /gm), so every asset URL is
// relative ("./assets/…") and the client computes API paths from location.
export default defineConfig({
  root: here,
  base: './',
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
