import { join } from 'node:path';
import { SQLITE_FILE } from '../../src/store/open.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { tempDir } from './temp.ts';

/**
 * A real SQLite store on a new file in a temp folder (removed when the test process exits). NORMAL
 * synchronous: these tests check logic, not durability, and run it many times.
 */
export function openTempSqliteStore(prefix = 'gmgui-store-') {
  return openSqliteStore({ file: join(tempDir(prefix), SQLITE_FILE), synchronous: 'NORMAL' });
}
