import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// `npm run bench`: every bench/*.ts that exports a run…Bench function, one after another (they measure
// durations and must not compete for the machine), each in its own section. A module's print…Bench, when
// it has one, prints its result; otherwise the result's fields are listed. Areas whose file does not
// exist yet are named and skipped. `npm run bench -- store web` runs only those areas.

const DIR = import.meta.dirname;
/** The areas in the order the issues introduce them; any other bench file runs after these. */
const AREAS = ['store', 'agents', 'stream', 'web', 'postgres', 'bounded-reads', 'fanout'];

type BenchFn = (...args: unknown[]) => Promise<unknown>;

function benchFiles(only: string[]): string[] {
  const present = readdirSync(DIR)
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .map((f) => f.slice(0, -3));
  const all = [...AREAS, ...present.filter((p) => !AREAS.includes(p)).sort()];
  return only.length ? all.filter((a) => only.includes(a)) : all;
}

function printGeneric(value: unknown, indent = '  '): void {
  if (value === null || value === undefined) {
    console.log(`${indent}(no result)`);
    return;
  }
  if (typeof value !== 'object') {
    console.log(`${indent}${String(value)}`);
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v && typeof v === 'object') {
      console.log(`${indent}${k}:`);
      printGeneric(v, `${indent}  `);
    } else {
      console.log(
        `${indent}${k}: ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : String(v)}`,
      );
    }
  }
}

async function main(): Promise<void> {
  // The benches drive the server far past what a person does (100,000 sends to one conversation): the
  // write rate limit and the pending-turn cap (README "Limits") are off for every server they start.
  process.env.GMGUI_RATE_LIMIT_WRITES ??= '0';
  process.env.GMGUI_MAX_PENDING ??= '0';
  // Measure the server users run: the bundle `npm start` builds (test/helpers/server.ts starts only it).
  const built = spawnSync(process.execPath, [join(DIR, '..', 'scripts', 'build-server-if-needed.mjs')], {
    stdio: 'inherit',
  });
  if (built.status !== 0) {
    console.error('the server bundle did not build: nothing to measure');
    process.exit(1);
  }
  console.log('server under test: dist/server/cli.mjs (as npm start)');
  let failed = 0;
  for (const area of benchFiles(process.argv.slice(2))) {
    const file = join(DIR, `${area}.ts`);
    console.log(`\n=== ${area} ${'='.repeat(Math.max(3, 70 - area.length))}`);
    if (!existsSync(file)) {
      console.log(`  skipped: bench/${area}.ts does not exist yet`);
      continue;
    }
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const runs = Object.entries(mod).filter(
      ([name, v]) => /^run\w*Bench$/.test(name) && typeof v === 'function',
    );
    if (runs.length === 0) {
      console.log(`  skipped: bench/${area}.ts exports no run…Bench function`);
      continue;
    }
    for (const [name, fn] of runs) {
      const started = performance.now();
      try {
        const result = await (fn as BenchFn)();
        const printer = mod[name.replace(/^run/, 'print')];
        if (typeof printer === 'function') printer(result);
        else printGeneric(result);
      } catch (err) {
        failed++;
        console.log(`  FAILED: ${name}: ${(err as Error)?.stack ?? String(err)}`);
      }
      console.log(`  (${name} took ${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
  }
  if (failed) process.exitCode = 1;
}

await main();
