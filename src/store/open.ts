import { join } from 'node:path';
import type { Config } from '../config.ts';
import { openSqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './types.ts';

export const SQLITE_FILE = 'gmgui.db';

/** The store the settings ask for: PostgreSQL when DATABASE_URL is set, else SQLite in the data dir. */
export async function openStore(config: Config): Promise<Store> {
  if (config.databaseUrl) {
    // Loaded only when asked for, so SQLite users never load pg.
    // A literal specifier, so the bundler includes it (a computed one is left out of dist/ and fails there).
    const { openPostgresStore } = await import('./postgres/postgres-store.ts');
    return openPostgresStore(config.databaseUrl);
  }
  return openSqliteStore({ file: join(config.dataDir, SQLITE_FILE) });
}
