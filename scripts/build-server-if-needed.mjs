// Bundles the server (src/ → dist/server/cli.mjs) and the built-in demo agent (→ dist/server/demo-agent.mjs)
// when a bundle is missing or older than any source, so `npm start` and the installed `gmgui` command run
// plain JavaScript: no TypeScript loader in the server or the demo agent (about 30 MB less memory each,
// faster start), and no build tool in a production install. Dependencies stay in node_modules; only our
// code is bundled. Usage: node scripts/build-server-if-needed.mjs [--force]
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'server');
/** Output name (without .mjs) → entry. The registry runs demo-agent.mjs when it sits next to the server. */
const ENTRIES = {
  cli: join(root, 'src', 'cli.ts'),
  'demo-agent': join(root, 'src', 'agents', 'demo', 'main.ts'),
  // Holds an agent's stdio so the agent outlives the server (docs/DESIGN.md "Process model").
  keeper: join(root, 'src', 'agents', 'keeper', 'main.ts'),
};
const outputs = Object.keys(ENTRIES).map((name) => join(outDir, `${name}.mjs`));

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function stale() {
  if (process.argv.includes('--force') || !outputs.every((o) => existsSync(o))) return true;
  const lock = join(root, 'package-lock.json');
  const sources = Math.max(newest(join(root, 'src')), existsSync(lock) ? statSync(lock).mtimeMs : 0);
  return sources > Math.min(...outputs.map((o) => statSync(o).mtimeMs));
}
if (!stale()) process.exit(0);

let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  // A checkout installed without dev dependencies: run what was built, if anything was.
  const built = outputs.every((o) => existsSync(o));
  console[built ? 'warn' : 'error'](
    `gmgui: cannot build the server: esbuild is not installed (npm ci --omit=dev?). ${
      built
        ? 'Running the last build.'
        : 'Run "npm ci", or install the package (README "Install as a command").'
    }`,
  );
  process.exit(built ? 0 : 1);
}
await build({
  entryPoints: ENTRIES,
  outdir: outDir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  // Stack traces need only the mappings; the sources are in the checkout (and not in the package).
  sourcesContent: false,
  // The installed `gmgui` command runs cli.mjs through this line, with the Node flags of `npm start`
  // (package.json): a small young generation keeps the server's memory low (bench/store.ts).
  banner: { js: '#!/usr/bin/env -S node --enable-source-maps --max-semi-space-size=2' },
  logLevel: 'warning',
});
