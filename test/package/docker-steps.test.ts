import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT } from '../helpers/server.ts';
import { offerLocalSqlitePrebuild, userEnv } from './helpers.ts';

// The Dockerfile, without Docker (issue 17): scripts/docker-steps.mjs carries out its stages in a temp
// folder (npm ci, npm pack, the runtime install from the lockfile), starts its CMD, runs its HEALTHCHECK,
// finds the database in its VOLUME and stops it with its STOPSIGNAL, exit 0. What needs Docker itself
// (the base image, the non-root USER) it checks in the Dockerfile's text.

const tmp = mkdtempSync(join(tmpdir(), 'gmgui-docker-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test("the Dockerfile's steps build, start, pass the health check and stop cleanly", () => {
  const prebuilds = offerLocalSqlitePrebuild(tmp);
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'scripts', 'docker-steps.mjs'), '--local-prebuilds', prebuilds],
    {
      cwd: ROOT,
      env: userEnv(),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
    },
  );
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  for (const step of [
    'RUN npm ci --ignore-scripts',
    'RUN npm pack',
    'RUN npm ci --omit=dev',
    'HEALTHCHECK',
    'ok:',
  ]) {
    assert.ok(
      r.stdout.includes(`docker-steps: ${step}`) || r.stdout.includes(step),
      `no "${step}" in:\n${r.stdout}`,
    );
  }
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /^USER node$/m);
  assert.match(dockerfile, /^VOLUME \/data$/m);
  assert.match(dockerfile, /^HEALTHCHECK .*\n?.*\/api\/health/m);
  assert.match(dockerfile, /^CMD \["gmgui"\]$/m);
});
