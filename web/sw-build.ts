import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { build } from 'esbuild';
import type { Plugin } from 'vite';

// Builds the service worker (src/sw/sw.ts) next to the app: a classic script at the root of dist
// (`sw.js`, so its scope is the app's base), compiled on its own with esbuild and never part of the
// page's bundle. Two values are written into it: the build's version (a hash of every file the build
// ships, so any change makes a new worker whose install caches the new shell) and the list of files
// that make the app shell.

function publicFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  try {
    walk(dir);
  } catch {
    // No public folder: nothing to add.
  }
  return out;
}

export function serviceWorker(opts: { entry: string; publicDir: string }): Plugin {
  return {
    name: 'gmgui-service-worker',
    apply: 'build',
    async generateBundle(_options, bundle) {
      const hash = createHash('sha256');
      const shell: string[] = [];
      for (const name of Object.keys(bundle).sort()) {
        const f = bundle[name];
        hash.update(name).update(f.type === 'chunk' ? f.code : f.source);
        // index.html is cached under the base URL itself (the page), not under its file name.
        if (name !== 'index.html') shell.push(name);
      }
      for (const name of publicFiles(opts.publicDir).sort()) {
        hash.update(name).update(readFileSync(join(opts.publicDir, name)));
        shell.push(name);
      }
      const version = hash.digest('hex').slice(0, 12);
      const out = await build({
        entryPoints: [opts.entry],
        bundle: true,
        format: 'iife',
        target: 'es2022',
        minify: true,
        write: false,
        legalComments: 'none',
        define: { __SW_VERSION__: JSON.stringify(version), __SW_SHELL__: JSON.stringify(shell) },
      });
      this.emitFile({ type: 'asset', fileName: 'sw.js', source: out.outputFiles[0].text });
    },
  };
}
