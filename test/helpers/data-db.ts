import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_FILE } from '../../src/store/open.ts';
import { useResource } from './use.ts';

// The SQLite file of a test server opened read-only beside it, to check that a refused request stored
// nothing, in the database itself rather than through the API under test.

export function useDataDb(s: { dataDir: string }): Database.Database {
  return useResource(
    'the database file',
    async () => new Database(join(s.dataDir, SQLITE_FILE), { readonly: true }),
    async (db) => {
      db.close();
    },
  );
}
