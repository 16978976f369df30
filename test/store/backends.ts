import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/types.ts';
import { createTestDatabase, sql, type TestDatabase } from '../helpers/pg.ts';

// The two stores the shared suite runs against. Each test gets an empty store; `another()` opens a
// second store on the same data (a restart, or a second instance where the store allows one).

export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  /** A store on empty data. Closes nothing: the caller closes what it opened. */
  fresh(): Promise<Store>;
  /** Another store on the data of the last fresh() one. */
  another(): Promise<Store>;
  teardown(): Promise<void>;
}

export function sqliteBackend(): StoreBackend {
  const dirs: string[] = [];
  let file = '';
  return {
    name: 'sqlite',
    async fresh() {
      const dir = await mkdtemp(join(tmpdir(), 'gmgui-store-'));
      dirs.push(dir);
      file = join(dir, 'gmgui.db');
      return openSqliteStore({ file });
    },
    async another() {
      return openSqliteStore({ file });
    },
    async teardown() {
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

const TABLES = 'conversations, messages, sessions, permissions, events, idempotency';

/** One database for the whole run; emptied (not recreated) between tests, which is much faster. */
export function postgresBackend(): StoreBackend {
  let db: TestDatabase | null = null;
  return {
    name: 'postgres',
    async fresh() {
      if (!db) {
        db = await createTestDatabase('store');
      } else {
        await sql(db.url, `TRUNCATE ${TABLES} RESTART IDENTITY; UPDATE log_head SET seq = 0`);
      }
      // A short poll so that tests of cross-instance wake-ups do not wait long when relying on it.
      return openPostgresStore(db.url, { pollMs: 200 });
    },
    async another() {
      if (!db) throw new Error('fresh() first');
      return openPostgresStore(db.url, { pollMs: 200 });
    },
    async teardown() {
      await db?.drop();
    },
  };
}
