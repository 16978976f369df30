// `npm pack` / `npm publish` run this first (package.json "prepack"): the package ships what it runs, built
// here and never at a user's first start — the web app (web/dist), the server bundle (dist/server/cli.mjs,
// the `gmgui` command) and the demo agent's bundle. Each is rebuilt when stale (same checks as `npm start`),
// then checked: a package without them would install fine and fail later, on a user's machine.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

for (const [script, ...args] of [['build-web-if-needed.mjs', '--strict'], ['build-server-if-needed.mjs']]) {
  // Progress on stderr: `npm pack --json` prints its JSON on stdout.
  const r = spawnSync(process.execPath, [join(root, 'scripts', script), ...args], { stdio: [0, 2, 2] });
  if (r.status !== 0) {
    console.error(`prepack: scripts/${script} failed (exit ${r.status})`);
    process.exit(1);
  }
}

const missing = ['web/dist/index.html', 'dist/server/cli.mjs', 'dist/server/demo-agent.mjs'].filter(
  (f) => !existsSync(join(root, f)),
);
// The page's own scripts and styles must be there too (a half-written build would pass the check above).
const index = join(root, 'web', 'dist', 'index.html');
const html = existsSync(index) ? readFileSync(index, 'utf8') : '';
for (const [, ref] of html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)) {
  if (!existsSync(join(root, 'web', 'dist', ref))) missing.push(`web/dist/${ref}`);
}
if (missing.length) {
  console.error(`prepack: the build is incomplete, missing ${missing.join(', ')}`);
  process.exit(1);
}
