import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pgSkipReason, sql, usePgDatabase } from '../helpers/pg.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

// Issue 9, "Must show": exactly what a user types. `npm start` itself (its build steps, its Node flags,
// the bundle) with the settings a user gives it, answering /api/health and storing where it says.

const pgSkip = await pgSkipReason();

/** `npm start` with these settings; `use` runs while it is up, then it is stopped. */
async function withNpmStart(
  env: Record<string, string>,
  use: (s: TestServer) => Promise<void>,
): Promise<void> {
  const s = await startServer({ npmStart: true, env });
  try {
    await use(s);
  } finally {
    await s.stop();
    await s.cleanup();
  }
}

async function assertHealthy(s: TestServer, store: 'sqlite' | 'postgres'): Promise<void> {
  const health = await s.api('GET', '/api/health', undefined, { authorization: '' });
  assert.equal(health.status, 200, health.text);
  assert.deepEqual(health.body, { ok: true, store });
  assert.match(s.output(), new RegExp(`store: ${store}`));
  const created = await s.api('POST', '/api/conversations', { agentId: 'demo', title: 'via npm start' });
  assert.equal(created.status, 201, created.text);
}

test('npm start (SQLite in the data dir) answers /api/health and serves the API', () =>
  withNpmStart({}, (s) => assertHealthy(s, 'sqlite')));

describe('npm start with DATABASE_URL', { skip: pgSkip }, () => {
  const db = usePgDatabase('npmstart');

  test('DATABASE_URL=postgres://…/<fresh db> npm start answers /api/health and stores in PostgreSQL', () =>
    withNpmStart({ DATABASE_URL: db.url }, async (s) => {
      await assertHealthy(s, 'postgres');
      const rows = await sql<{ title: string }>(db.url, 'SELECT title FROM conversations');
      assert.deepEqual(
        rows.map((r) => r.title),
        ['via npm start'],
      );
    }));
});
