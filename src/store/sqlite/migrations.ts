import { migrations } from '../schema.ts';

// The schema (../schema.ts) in SQLite's types. PRAGMA user_version records how far a database file has come.
// - ord: max(ord) + 1 at insert (writers are serialized, so it follows commit order);
// - events.seq: AUTOINCREMENT, so a seq is never reused, even after the newest rows are gone;
// - booleans are 0/1.

export const SQLITE_MIGRATIONS: string[] = migrations({
  id: 'TEXT',
  time: 'INTEGER',
  ord: 'INTEGER NOT NULL UNIQUE',
  flag: 'INTEGER',
  flagOff: '0',
  flagIsSet: (column) => `${column} = 1`,
  conversationsUpdatedTail: '',
  permissionsExtra: '',
  eventSeq: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  afterEvents: '',
});
