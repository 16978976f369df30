// Builds the web app (web/ → web/dist) when it is missing or older than any source file, so that
// `npm start` on a fresh clone serves the UI with no separate build step, and a second start costs
// nothing. Usage: node scripts/build-web-if-needed.mjs [--force] [--strict]
// --strict (used by `npm pack`, scripts/pack-prepare.mjs): a missing Vite is a failure, not a warning.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const webDir = join(root, 'web');
const distIndex = join(webDir, 'dist', 'index.html');
const SKIP = new Set(['dist', 'node_modules']);

/** Newest modification time of the app's sources (and of the files that shape the build). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function needsBuild() {
  if (process.argv.includes('--force')) return 'forced';
  if (!existsSync(distIndex)) return 'web/dist is missing';
  const built = statSync(distIndex).mtimeMs;
  const lock = join(root, 'package-lock.json');
  const newest = Math.max(newestSource(webDir), existsSync(lock) ? statSync(lock).mtimeMs : 0);
  return newest > built ? 'web sources changed since the last build' : null;
}

const reason = needsBuild();
if (!reason) process.exit(0);

let build;
try {
  ({ build } = await import('vite'));
} catch {
  if (process.argv.includes('--strict')) {
    console.error(`gmgui: cannot build the web app (${reason}): Vite is not installed. Run "npm ci" first.`);
    process.exit(1);
  }
  // A checkout installed without dev dependencies has no Vite: serve the API, say how to get the UI.
  // (The package from `npm pack` ships web/dist, so an installed `gmgui` never gets here.)
  console.warn(
    `gmgui: cannot build the web app (${reason}): Vite is not installed. Run "npm install" to get it.`,
  );
  process.exit(0);
}

const started = Date.now();
console.log(`gmgui: building the web app (${reason})…`);
try {
  await build({ configFile: join(webDir, 'vite.config.ts'), logLevel: 'warn' });
} catch (e) {
  console.error(`gmgui: the web app failed to build: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
console.log(`gmgui: web app built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
