// Runs the Node test files (test/**/*.test.ts, except the vitest ones under test/web) with Node's
// test runner. Node 20 cannot glob .ts files by itself. Usage: node scripts/run-tests.mjs [dir-or-file …]
//
// First it builds what `npm start` builds (web/dist and the server bundle dist/server/cli.mjs, each
// only when stale), once: the tests start that bundle, so what ships is what is tested, and every test
// file of the run tests the same build.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      if (name === 'web' && path === 'test') continue;
      collect(join(path, name), out);
    }
  } else if (path.endsWith('.test.ts')) {
    out.push(path);
  }
  return out;
}

const targets = process.argv.slice(2);
const files = (targets.length ? targets : ['test']).flatMap((t) => collect(t, []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

for (const script of ['build-web-if-needed.mjs', 'build-server-if-needed.mjs']) {
  const built = spawnSync(process.execPath, [join(root, 'scripts', script)], { stdio: 'inherit' });
  if (built.status !== 0) {
    console.error(`scripts/${script} failed: not running the tests against a stale or missing build`);
    process.exit(built.status ?? 1);
  }
}

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...files],
  // Read by test/helpers/server.ts: the build above is the one to test; do not rebuild mid-run.
  { stdio: 'inherit', env: { ...process.env, GMGUI_TEST_PREBUILT: '1' } },
);
process.exit(r.status ?? 1);
