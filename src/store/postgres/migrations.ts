import { migrations } from '../schema.ts';

// The schema (../schema.ts) in PostgreSQL's types. schema_migrations records which versions a database
// has; migrate.ts applies the missing ones under an advisory lock so that instances starting together
// do not race. Where it differs from SQLite, and why:
// - epoch milliseconds do not fit int4: BIGINT (read back as numbers, see pool-config.ts);
// - JSON values are TEXT, not jsonb: jsonb reorders keys, and the idempotency body and event fields must
//   come back exactly as written;
// - ids compare with COLLATE "C" so ties sort byte-wise, as in SQLite;
// - ord is an identity column. Inserts take the conversation's row lock first (pg-tx.ts), so within one
//   conversation ord follows commit order even though identity values are handed out concurrently.
//   Permissions get one too, as the tiebreak SQLite's rowid gives;
// - events.seq is NOT a sequence: it comes from log_head, advanced by each appending transaction right
//   before it commits, under that row's lock (see pg-tx.ts: "Event order");
// - the idempotency primary key is named idempotency_pkey (PostgreSQL's default name): a unique
//   violation on it means a concurrent twin won (pg-errors.ts).

export const POSTGRES_MIGRATIONS: string[] = migrations({
  id: 'TEXT COLLATE "C"',
  time: 'BIGINT',
  ord: 'BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE',
  flag: 'BOOLEAN',
  flagOff: 'false',
  flagIsSet: (column) => column,
  conversationsUpdatedTail: ', id',
  permissionsExtra: '\n    ord BIGINT GENERATED ALWAYS AS IDENTITY,',
  eventSeq: 'BIGINT PRIMARY KEY',
  afterEvents: `
  CREATE TABLE log_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
  );
  INSERT INTO log_head (id, seq) VALUES (1, 0);
`,
});
