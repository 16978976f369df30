import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { useResource } from './use.ts';

// PostgreSQL for tests. The server is found through GMGUI_TEST_PG_URL (an admin connection, normally to
// the `postgres` database); each test run creates its own database and drops it afterwards.
//
// When the server cannot be reached, PostgreSQL tests are skipped with a loud warning, unless
// GMGUI_REQUIRE_ALL=1 (set by .ci/run): then the skip is a failure, so CI never passes without them.
//
// Usage at the top of a test file:
//   const pgSkip = await pgSkipReason();
//   describe('…', { skip: pgSkip }, () => {
//     const db = usePgDatabase('label');
//     const s = useServer(() => ({ env: { DATABASE_URL: db.url } }));
//     …
//   });

export const PG_ADMIN_URL = process.env.GMGUI_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

let reachable: Promise<string | null> | null = null;

/** null when the server answers, else why not (checked once per process). */
export function pgUnreachableReason(): Promise<string | null> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return null;
    } catch (e) {
      return (e as Error).message || String(e);
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

/**
 * false when PostgreSQL is reachable (run the tests), else a skip reason, after a loud warning.
 * Throws when GMGUI_REQUIRE_ALL=1 and PostgreSQL is unreachable.
 */
export async function pgSkipReason(): Promise<string | false> {
  const why = await pgUnreachableReason();
  if (why === null) return false;
  const where = redactedAdminUrl();
  const msg = `PostgreSQL is not reachable at ${where} (${why})`;
  if (process.env.GMGUI_REQUIRE_ALL === '1') {
    throw new Error(`${msg}; GMGUI_REQUIRE_ALL=1 forbids skipping the PostgreSQL tests.`);
  }
  const bar = '!'.repeat(78);
  console.warn(
    `\n${bar}\n!! ${msg}.\n!! SKIPPING the PostgreSQL tests. Start PostgreSQL or set GMGUI_TEST_PG_URL to run them.\n${bar}\n`,
  );
  return `${msg}: PostgreSQL tests skipped`;
}

/** The admin URL without its password, for messages. */
export function redactedAdminUrl(): string {
  return PG_ADMIN_URL.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** The admin URL with another database name. */
export function databaseUrl(database: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database, disconnecting whoever is still connected. */
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const PREFIX = 'gmgui_test_';
/** A database a crashed run left behind is dropped by a later run once it is this old. */
const STALE_MS = 6 * 60 * 60 * 1000;

/** Best effort: drops test databases of runs that died before dropping their own. */
async function dropStale(c: pg.Client): Promise<void> {
  const { rows } = await c.query<{ datname: string }>(
    'SELECT datname FROM pg_database WHERE datname LIKE $1',
    [`${PREFIX}%`],
  );
  for (const { datname } of rows) {
    const born = Number.parseInt(datname.split('_').at(-2) ?? '', 36);
    if (Number.isFinite(born) && Date.now() - born > STALE_MS) {
      await c.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => undefined);
    }
  }
}

/** A new, empty database for this run, named gmgui_test_<label>_<time>_<random>; drop() removes it. */
export async function createTestDatabase(label = 'run'): Promise<TestDatabase> {
  const tag =
    label
      .replace(/[^a-z0-9]/gi, '')
      .toLowerCase()
      .slice(0, 16) || 'run';
  const name = `${PREFIX}${tag}_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
  await admin(async (c) => {
    await dropStale(c);
    await c.query(`CREATE DATABASE ${name}`);
  });
  let dropped = false;
  return {
    name,
    url: databaseUrl(name),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** A fresh database for the tests of the current describe(): created before them, dropped after. */
export function usePgDatabase(label = 'run'): TestDatabase {
  return useResource(
    'the test database',
    () => createTestDatabase(label),
    (db) => db.drop(),
  );
}

/** Runs one statement against a database (test setup, inspection). */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}
